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
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.utils import timezone

from inventory.models import StockMovement
from inventory.pair_index import PairIndex
from inventory.selectors import local_midnight


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
                                         created_at__lt=local_midnight(end + timedelta(days=1)))
            .order_by("product_id", "warehouse_id", "created_at", "id")
            .values_list("product_id", "warehouse_id", "created_at", "balance_after"))
    moves = pd.DataFrame(list(rows), columns=["product_id", "warehouse_id", "at", "balance"])
    if moves.empty:
        return pd.DataFrame(columns=columns)
    moves = moves[PairIndex(sorted(keys)).rows(moves["product_id"], moves["warehouse_id"]) >= 0]
    local = pd.to_datetime(moves["at"], utc=True).dt.tz_convert(timezone.get_current_timezone())
    moves = moves.assign(day=local.dt.tz_localize(None).to_numpy().astype("datetime64[D]"))
    # One row per pair and day with movements, in time order (the query's): the day's highest
    # balance and its closing one.
    daily = moves.groupby(["product_id", "warehouse_id", "day"], sort=False)["balance"].agg(["max", "last"]).reset_index()
    pid, wid = daily["product_id"].to_numpy(), daily["warehouse_id"].to_numpy()
    day, high, close = daily["day"].to_numpy().astype("datetime64[D]"), daily["max"].to_numpy(), daily["last"].to_numpy()
    # After a day that closed empty, every day until the pair's next movement is empty all day,
    # and so is that day if its balance never rose above zero; after the last one, up to `end`.
    same_next = np.r_[(pid[1:] == pid[:-1]) & (wid[1:] == wid[:-1]), False]
    next_day, next_high = np.r_[day[1:], day[-1:]], np.r_[high[1:], high[-1:]]
    last_empty = np.where(same_next, np.where(next_high <= 0, next_day, next_day - 1), np.datetime64(end, "D"))
    lo = np.maximum(day + 1, np.datetime64(start, "D"))
    hi = np.minimum(last_empty, np.datetime64(end, "D"))
    run = (close <= 0) & (lo <= hi)
    lo, hi, pid, wid = lo[run], hi[run], pid[run], wid[run]
    length = (hi - lo).astype(np.int64) + 1
    offset = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    days = np.repeat(lo, length) + offset.astype("timedelta64[D]")
    return pd.DataFrame({"product_id": np.repeat(pid, length), "warehouse_id": np.repeat(wid, length),
                         "date": days.astype(object)}, columns=columns)
