"""Slices of the real data sets for the ingest tests (helpers only: this module holds no test).

Each slice is cut from ../shared/data with pandas and written to a temporary folder in the
original layout (Customer ID column included, so that the tests can prove it is dropped).
Reading the full Online Retail sheets once costs ~3 s, so they are cached per test process.
"""
from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

OR_COLUMNS = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]


@functools.lru_cache(maxsize=None)
def online_retail_sheet(data_dir: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(data_dir / "online_retail_ii" / name, dtype=str, keep_default_na=False)


def online_retail_slices(data_dir: Path, folder: Path) -> tuple[Path, Path]:
    """Two overlapping sheets: 2009-12-01..02 + 2010-12-06..09 of the first, 2010-12-01..07 of the second.

    The overlap (2010-12-06 and 07) holds the same invoices in both files; the first days of the
    first sheet hold cancellations, postage and manual lines."""
    a = online_retail_sheet(data_dir, "year_2009_2010.csv.gz")
    b = online_retail_sheet(data_dir, "year_2010_2011.csv.gz")
    a_slice = a[(a.InvoiceDate < "2009-12-03") | (a.InvoiceDate >= "2010-12-06")]
    b_slice = b[b.InvoiceDate < "2010-12-08"]
    first, second = folder / "year_2009_2010.csv.gz", folder / "year_2010_2011.csv.gz"
    a_slice.to_csv(first, index=False)
    b_slice.to_csv(second, index=False)
    return first, second


def m5_slice(data_dir: Path, folder: Path, series: int = 6, days: int = 120) -> Path:
    src = data_dir / "m5_tiny"
    sales = pd.read_csv(src / "sales_train_validation.csv", dtype=str, keep_default_na=False)
    ids = ["id", "item_id", "dept_id", "cat_id", "store_id", "state_id"]
    # Items of three stores of two states, first `days` days: enough for SNAP per state and events.
    picked = sales[sales.store_id.isin(["CA_1", "TX_1", "WI_1"])].groupby("store_id").head(series // 3)
    day_cols = [f"d_{n}" for n in range(1, days + 1)]
    folder.mkdir(parents=True, exist_ok=True)
    picked[ids + day_cols].to_csv(folder / "sales_train_validation.csv", index=False)
    calendar = pd.read_csv(src / "calendar.csv", dtype=str, keep_default_na=False)
    calendar = calendar[calendar.d.isin(day_cols)]
    calendar.to_csv(folder / "calendar.csv", index=False)
    prices = pd.read_csv(src / "sell_prices.csv", dtype=str, keep_default_na=False)
    prices = prices[prices.item_id.isin(picked.item_id) & prices.wm_yr_wk.isin(calendar.wm_yr_wk)]
    prices.to_csv(folder / "sell_prices.csv", index=False)
    return folder


def pasta_slice(data_dir: Path, folder: Path, days: int = 60, skus: int = 8) -> Path:
    wide = pd.read_csv(data_dir / "pasta_promo" / "hierarchical_sales_data.csv", dtype=str, keep_default_na=False)
    qty = [c for c in wide.columns if c.startswith("QTY_")][:skus]
    promo = ["PROMO_" + c[4:] for c in qty]
    path = folder / "pasta.csv"
    wide[["DATE"] + qty + promo].head(days).to_csv(path, index=False)
    return path
