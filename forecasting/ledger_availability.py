"""Days a product could not be bought, read from the stock ledger.

The ledger (inventory.StockMovement) records the stock balance after every movement. A day on
which a (product, warehouse) had nothing on hand from its start to its end sold nothing because
the shelf was empty, whatever customers wanted: its sales say nothing about demand. Such days
feed the forecast as out of stock (forecasting.services.build_panel), as ``SalesDay.in_stock``
False does when the sales import records it; a recorded flag wins over the ledger.

A day counts only when the ledger knows it: after the pair's first movement, with the balance at
the day's start (the balance after the last earlier movement) at or below zero and no movement
that day lifting it above zero. A day on which stock ran out part-way is not counted: it sold
some of its demand, and a partial day is not worth losing a day of history over. Days are local
dates in the project's TIME_ZONE, like SalesDay.date.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import pandas as pd
from django.utils import timezone

from inventory.models import StockMovement


def ledger_stockout_days(keys: Iterable[tuple[int, int]], start: date, end: date) -> pd.DataFrame:
    """Frame ``product_id, warehouse_id, date`` of the days in ``[start, end]`` on which the
    ledger shows the pair with nothing on hand all day."""
    keys = set(keys)
    columns = ["product_id", "warehouse_id", "date"]
    if not keys:
        return pd.DataFrame(columns=columns)
    pids = sorted({p for p, _ in keys})
    wids = sorted({w for _, w in keys})
    # every movement up to the end: the balance at `start` depends on the last one before it
    rows = (StockMovement.objects.filter(product_id__in=pids, warehouse_id__in=wids,
                                         created_at__lt=_start_of(end + timedelta(days=1)))
            .order_by("product_id", "warehouse_id", "created_at", "id")
            .values_list("product_id", "warehouse_id", "created_at", "balance_after"))
    moves = pd.DataFrame(list(rows), columns=["product_id", "warehouse_id", "at", "balance"])
    if moves.empty:
        return pd.DataFrame(columns=columns)
    moves = moves[[k in keys for k in zip(moves["product_id"], moves["warehouse_id"])]]
    moves["date"] = [timezone.localtime(t).date() for t in moves["at"]]
    out = []
    for (pid, wid), m in moves.groupby(["product_id", "warehouse_id"], sort=False):
        daily = m.groupby("date")["balance"].agg(["max", "last"])
        days = pd.date_range(daily.index.min(), end, freq="D").date
        daily = daily.reindex(days)
        # the balance at a day's start is the closing balance of the last day with movements
        opening = daily["last"].ffill().shift(1)
        empty_all_day = (opening <= 0) & (daily["max"].isna() | (daily["max"] <= 0))
        for day in daily.index[empty_all_day.to_numpy()]:
            if day >= start:
                out.append((pid, wid, day))
    return pd.DataFrame(out, columns=columns)


def _start_of(day: date):
    """The first instant of a local day, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))
