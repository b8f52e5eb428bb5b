"""Walmart M5 layout: sales_train_*.csv + calendar.csv + sell_prices.csv (a folder or the files).

Works unchanged on the full competition files (30,490 series x 1,941 days, 6.8 M weekly prices):

- calendar.csv (about 2,000 rows) is read whole: day column `d_n` -> date and Walmart week.
- sell_prices.csv is read in chunks into a dense float32 array [series, week] (30,490 x 282 =
  34 MB), not a dict of 6.8 M keys.
- sales_train_*.csv is read a few dozen series at a time; each chunk is turned long (one row per
  series x day) and staged at once, so at most about `chunk_rows` facts are in memory.

Mapping: stores become warehouses (`CA_1`, name "Store CA_1 (CA)"), items become products (sku =
item_id), the item hierarchy becomes categories (cat_id `FOODS` > dept_id `FOODS_1`, the product
in the department). Price: avg_price of a day is the week's sell_price; revenue = units x price.
Which days are stored: every day on which the item had a price in that store (it was on the
shelf, so a zero is real zero demand), plus any day with sales; the days before an item's first
listing, which M5 fills with zeros that are not demand, are left out.

Calendar features: each event (`event_name_1/2`, with its type) becomes a CalendarEvent of that
date for every warehouse; each SNAP day becomes a CalendarEvent "SNAP" (type "SNAP") for the
warehouses of that state (state_id of the store). Forecasting reads them as covariates.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from . import parse
from .base import SKU_MAX, WAREHOUSE_MAX, Adapter
from .writer import FACT_COLUMNS

ID_COLUMNS = ["id", "item_id", "dept_id", "cat_id", "store_id", "state_id"]
CALENDAR_COLUMNS = ["date", "wm_yr_wk", "d"]
PRICE_COLUMNS = ["store_id", "item_id", "wm_yr_wk", "sell_price"]
DAY = re.compile(r"^d_\d+$")


class M5Adapter(Adapter):
    format = "m5"

    def __init__(self, paths, *args, **kwargs):
        files = []
        for path in map(Path, paths):
            files += sorted(p for p in path.iterdir() if p.suffix in (".csv", ".gz")) if path.is_dir() else [path]
        super().__init__(files, *args, **kwargs)
        by_role = {"calendar": [], "prices": [], "sales": []}
        for path in self.paths:
            name = path.name.lower()
            role = "calendar" if name.startswith("calendar") else "prices" if name.startswith("sell_prices") else (
                "sales" if name.startswith("sales_train") else None)
            if role is None:
                raise ValueError(f"{path.name}: not an M5 file (expected calendar.csv, sell_prices.csv, sales_train_*.csv)")
            by_role[role].append(path)
        if len(by_role["calendar"]) != 1 or len(by_role["prices"]) != 1 or len(by_role["sales"]) != 1:
            # Two sales files (validation and evaluation) hold the same series over overlapping
            # days: their units would add up. The evaluation file contains the validation one.
            raise ValueError(f"M5 import needs exactly one calendar.csv, one sell_prices.csv and one "
                             f"sales_train_*.csv (evaluation includes validation); got "
                             f"{', '.join(p.name for p in self.paths)}")
        self.calendar_path, self.prices_path = by_role["calendar"][0], by_role["prices"][0]
        self.sales_paths = by_role["sales"]
        self.events: list[tuple] = []  # (date, name, type, warehouse code or None)

    # --- calendar and prices --------------------------------------------------------------
    def _calendar(self) -> pd.DataFrame | None:
        table = self.table(self.calendar_path)
        if self.require_columns(table, CALENDAR_COLUMNS):
            return None
        frames = [c.frame for c in table.chunks()]
        cal = pd.concat(frames)
        self.rows_read += len(cal)
        cal["day"] = parse.dates(cal["date"], self.report, table.name, "date", self.options.date_format)
        cal["week"] = parse.whole_numbers(cal["wm_yr_wk"], self.report, table.name, "wm_yr_wk")
        return cal

    def _prices(self, series_index: dict, weeks: np.ndarray) -> np.ndarray:
        table = self.table(self.prices_path)
        grid = np.full((len(series_index), len(weeks)), np.nan, dtype=np.float32)
        if self.require_columns(table, PRICE_COLUMNS):
            return grid
        for chunk in table.chunks(usecols=PRICE_COLUMNS):
            raw = chunk.frame
            self.rows_read += len(raw)
            week = parse.whole_numbers(raw["wm_yr_wk"], self.report, chunk.source, "wm_yr_wk")
            price = parse.prices(raw["sell_price"], self.report, chunk.source, "sell_price")
            negative = price < 0
            self.report.add_many(chunk.source, raw.index[negative], "sell_price", raw["sell_price"][negative].values, "negative price")
            key = list(zip(raw["store_id"].str.strip(), raw["item_id"].str.strip()))
            rows = np.array([series_index.get(k, -1) for k in key], dtype=np.int64)  # an empty chunk too
            cols = np.searchsorted(weeks, week.fillna(-1).to_numpy())
            cols = np.clip(cols, 0, len(weeks) - 1)
            ok = (rows >= 0) & price.notna().to_numpy() & ~negative.to_numpy() & (weeks[cols] == week.to_numpy())
            grid[rows[ok], cols[ok]] = price.to_numpy()[ok]
        return grid

    # --- sales ----------------------------------------------------------------------------
    def facts(self):
        cal = self._calendar()
        tables = [self.table(p) for p in self.sales_paths]
        missing = [self.require_columns(t, ID_COLUMNS) for t in tables]
        if cal is None or any(missing):
            return
        cal = cal[cal["day"].notna() & cal["week"].notna()]
        day_of = dict(zip(cal["d"].str.strip(), cal["day"]))
        week_of = dict(zip(cal["d"].str.strip(), cal["week"].astype("int64")))
        weeks = np.unique(cal["week"].astype("int64").to_numpy())
        # Pass 1 over the id columns only (cheap): series list for the price grid, stores, items.
        series_index: dict[tuple[str, str], int] = {}
        states: dict[str, str] = {}
        series_rows = 0
        for table in tables:
            for chunk in table.chunks(usecols=ID_COLUMNS):
                ids = chunk.frame
                series_rows += len(ids)
                for store, item, state in zip(ids["store_id"].str.strip(), ids["item_id"].str.strip(), ids["state_id"].str.strip()):
                    series_index.setdefault((store, item), len(series_index))
                    states.setdefault(store, state)
        # A series is one row and a day one column: the facts are unique unless a series repeats
        # (its rows then add up, as the sums of the writer do).
        self.unique_facts = series_rows == len(series_index)
        prices = self._prices(series_index, weeks)
        self._calendar_events(cal, states)
        for table in tables:
            days = [c for c in table.header if DAY.match(c)]
            unknown = [d for d in days if d not in day_of]
            for d in unknown:
                self.report.add(table.name, 1, d, d, "day column not in calendar.csv")
            days = [d for d in days if d in day_of]
            if not days:
                self.report.add(table.name, 1, "d_1", "", "no day columns d_1, d_2, ... found")
                continue
            per_chunk = max(1, self.options.chunk_rows // len(days))
            table.chunk_rows = per_chunk
            dates = np.array([day_of[d] for d in days], dtype="datetime64[ns]")
            week_cols = np.searchsorted(weeks, np.array([week_of[d] for d in days]))
            for chunk in table.chunks(usecols=ID_COLUMNS + days):
                self.rows_read += len(chunk.frame)
                facts = self._series_chunk(chunk.frame, chunk.source, days, dates, week_cols, series_index, prices)
                if facts is not None and not facts.empty:
                    yield facts

    def _series_chunk(self, raw, source, days, dates, week_cols, series_index, prices):
        report = self.report
        item = parse.required_text(raw["item_id"], report, source, "item_id", SKU_MAX)
        store = parse.required_text(raw["store_id"], report, source, "store_id", WAREHOUSE_MAX)
        dept = parse.required_text(raw["dept_id"], report, source, "dept_id", 100)
        cat = parse.required_text(raw["cat_id"], report, source, "cat_id", 100)
        bad_store = self.check_warehouses(store, source, "store_id")
        values = raw[days].stack()  # index (line, d_n), in row order
        units = pd.to_numeric(values.str.strip(), errors="coerce")
        bad = units.isna() | (units < 0) | (units != np.floor(units.fillna(0)))
        for (line, column), value in values[bad].items():
            report.add(source, line, column, value, "not a whole number of units >= 0")
        ok_rows = item.ne("") & store.ne("") & dept.ne("") & cat.ne("") & ~bad_store
        if not report.ok:
            return None  # refused anyway; keep reading only to list every problem
        n_days = len(days)
        series = np.array([series_index[(s, i)] for s, i in zip(store, item)])
        grid = prices[series][:, week_cols]  # (series, days) price of each day's week
        qty = units.to_numpy().reshape(len(raw), n_days)
        keep = (~np.isnan(grid) | (qty > 0)) & ok_rows.to_numpy()[:, None]
        rows, cols = np.nonzero(keep)
        price = grid[rows, cols].astype(float)
        sold = qty[rows, cols].astype("int64")
        frame = pd.DataFrame({
            "sku": item.to_numpy()[rows], "warehouse": store.to_numpy()[rows], "date": dates[cols],
            "units": sold, "returned": 0, "revenue": np.nan_to_num(sold * price), "price": price,
            "promo": False, "in_stock": np.nan,
        })
        for code, state in zip(store, raw["state_id"].str.strip()):
            self.catalogue.add_warehouse(code, f"Store {code} ({state})")
        for c, d in zip(cat, dept):
            self.catalogue.add_category(c, c.title())
            self.catalogue.add_category(d, d.replace("_", " ").title(), c)
        priced = frame[frame["price"].notna()]
        info = priced.sort_values("date", kind="stable").drop_duplicates("sku", keep="last")
        dept_of = dict(zip(item, dept))
        self.catalogue.note_products(pd.DataFrame({
            "sku": info["sku"], "when": info["date"], "name": info["sku"], "price": info["price"],
            "category": info["sku"].map(dept_of),
        }))
        for sku in set(item[ok_rows]) - set(self.catalogue.products):
            self.catalogue.note_products(pd.DataFrame({"sku": [sku], "when": [pd.Timestamp.min], "name": [sku],
                                                       "category": [dept_of[sku]]}))
        return frame[FACT_COLUMNS]

    def _calendar_events(self, cal: pd.DataFrame, states: dict[str, str]) -> None:
        for n in (1, 2):
            name_col, type_col = f"event_name_{n}", f"event_type_{n}"
            if name_col not in cal:
                continue
            named = cal[cal[name_col].str.strip().ne("")]
            for day, name, kind in zip(named["day"], named[name_col].str.strip(), named.get(type_col, "").str.strip()):
                self.events.append((day.date(), name[:100], kind[:50], None))
        for store, state in states.items():
            column = f"snap_{state}"
            if column in cal:
                for day in cal.loc[cal[column].str.strip().eq("1"), "day"]:
                    self.events.append((day.date(), "SNAP", "SNAP", store))
