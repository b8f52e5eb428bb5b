"""The daily history panel of a set of (product, warehouse) series, read from the database
straight into dense ``[series, day]`` arrays.

Why not a long frame pivoted by ``forecasting.ml.data.panel_from_long``: a long frame of every
sales day holds a Python string id, a date and an object per cell, several gigabytes at a tenth
of M5 (4.8 M days) and far beyond the machine at its full size; the arrays need 4 bytes a cell
and a cell exists whether it sold or not. The rows stream from the database as columns
(inventory.selectors.sales_columns: COPY on PostgreSQL) in chunks that are scattered into the
arrays and dropped.

The rules are those of panel_from_long and the stock-out rule of inventory.selectors:
- the grid runs from the first recorded day of any of the series to ``as_of``;
- a series is unobserved (NaN) before its first recorded day, zero on days without a row after
  it, and unobserved on days recorded out of stock (``in_stock`` False) or that the stock
  ledger shows empty all day where the import recorded no flag and nothing sold;
- a series with no recorded day is unobserved throughout.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from forecasting.ml.data import Panel
from inventory.pair_index import PairIndex
from inventory.selectors import first_sales_day, sales_columns

from .ledger_availability import ledger_stockout_days



def uid(product_id: int, warehouse_id: int) -> str:
    return f"{product_id}:{warehouse_id}"


def daily_panel(keys: list[tuple[int, int]], as_of: date, statics: pd.DataFrame) -> Panel:
    """The panel of ``keys`` (rows in the order of their ids as strings, as panel_from_long
    sorts them) from their first recorded day to ``as_of``. ``statics``: unique_id, category,
    description."""
    ids = np.array(sorted({uid(p, w) for p, w in keys}), dtype=object)
    pairs = [tuple(int(x) for x in u.split(":")) for u in ids]
    n = len(pairs)
    scope = {"product_ids": {p for p, _ in pairs}, "warehouse_ids": {w for _, w in pairs}}
    # Allocated from the first day of these products x warehouses (a superset of the pairs),
    # trimmed to the pairs' own first day once the rows are in.
    grid_start = min(first_sales_day(end=as_of, **scope) or as_of, as_of)
    width = (as_of - grid_start).days + 1
    y = np.full((n, width), np.nan, np.float32)
    price = np.full((n, width), np.nan, np.float32)
    promo = np.zeros((n, width), np.float32)
    flag = np.full((n, width), np.nan, np.float32)  # in_stock: 1, 0, NaN = not recorded
    first = np.full(n, width, np.int64)
    index = PairIndex(pairs)
    for chunk in sales_columns(grid_start, as_of, **scope):
        r = index.rows(chunk["product_id"], chunk["warehouse_id"])
        keep = r >= 0
        if not keep.any():
            continue
        r = r[keep]
        days = (chunk["date"][keep] - np.datetime64(grid_start, "D")).astype(np.int64)
        y[r, days] = chunk["units"][keep]
        price[r, days] = chunk["avg_price"][keep]
        promo[r, days] = chunk["on_promotion"][keep]
        flag[r, days] = chunk["in_stock"][keep]
        np.minimum.at(first, r, days)
    sold = first < width
    lead = int(first[sold].min()) if sold.any() else width - 1
    if lead:
        y, price, promo, flag = (a[:, lead:].copy() for a in (y, price, promo, flag))
        first -= lead
    start = grid_start + timedelta(days=lead)
    dates = pd.date_range(start, as_of, freq="D")
    t = len(dates)
    # Days without a row after a series' first recorded day sold nothing.
    inside = np.arange(t)[None, :] >= np.where(sold, first, t)[:, None]
    y[inside & np.isnan(y)] = 0.0
    _ledger_stockouts(flag, y, index, start, as_of)
    stockout = flag == 0
    y[stockout] = np.nan
    st = statics.drop_duplicates("unique_id").set_index("unique_id").reindex(ids)
    category = st["category"].fillna("unknown").astype(str).to_numpy(dtype=object)
    description = st["description"].fillna("").astype(str).to_numpy(dtype=object)
    panel = Panel(ids, dates, "D", y, price, promo, np.zeros((n, t), np.float32), np.zeros((n, t), np.float32),
                  category, description, n_obs=t)
    panel.extra["stockout_periods"] = int(stockout.sum())
    return panel


def _ledger_stockouts(flag, y, index: PairIndex, start: date, as_of: date) -> None:
    """Days the stock ledger shows empty all day are out of stock where the sales import recorded
    no flag and nothing sold (a sale that day means the ledger missed stock: the sales win)."""
    empty = ledger_stockout_days(index.pairs, start, as_of)
    if empty.empty:
        return
    r = index.rows(empty["product_id"].to_numpy(np.int64), empty["warehouse_id"].to_numpy(np.int64))
    c = (pd.to_datetime(empty["date"]).to_numpy().astype("datetime64[D]") - np.datetime64(start, "D")).astype(np.int64)
    ok = (r >= 0) & (c >= 0) & (c < flag.shape[1])
    r, c = r[ok], c[ok]
    unrecorded = np.isnan(flag[r, c]) & ~(y[r, c] > 0)
    flag[r[unrecorded], c[unrecorded]] = 0.0
