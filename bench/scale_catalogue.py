"""A catalogue of any size in the Walmart M5 layout, resampled from the real M5 slice.

    python -m bench.scale_catalogue --series 30490 --days 1913 [--out var/scale] [--seed 7]

Writes `calendar.csv`, `sell_prices.csv` and `sales_train_validation.csv` into
`<out>/<series>x<days>/` (never committed: `var/` is ignored), the same three files the full M5
competition has, so that the product's own M5 import path reads them unchanged.

How a series is made (every number comes from the real data; nothing is drawn from a formula):
- Items: `ceil(series / 10)` new items, each sold in the 10 stores of the slice (CA_1 .. WI_3;
  the last item in fewer stores when the count is not a multiple of 10). Item k copies one of
  the slice's 28 real items (its department, category and weekly prices).
- Each new series (item k in store s) is the real series of its source item in store s, rolled
  in time by a whole number of weeks (0-51, drawn per item), so the weekday and SNAP patterns
  stay aligned with the calendar while series of the same source item differ, and thinned
  binomially with a keep-rate in [0.4, 1.0] drawn per series (a smaller store of the same item):
  units stay whole numbers, zeros stay zeros, and the share of zero days only grows.
- Prices are the source's weekly prices rolled by the same number of weeks; the days on which
  the source item was not yet listed (no price, M5 fills them with zeros) roll with them and are
  not imported, as in the real files.
- `--days` below 1,913 keeps the last days of the calendar (the data's most recent history).

Memory: one item (10 rows) at a time is rolled and written; the price table is written per item.
"""
from __future__ import annotations

import argparse
import csv
import math
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO.parent / "shared" / "data" / "m5_tiny"
FULL_DAYS = 1913
MAX_SERIES = 1_000_000
ROLL_WEEKS = 52
KEEP_RATE = (0.4, 1.0)


def folder_for(out: Path, series: int, days: int) -> Path:
    return out / f"{series}x{days}"


def generate(series: int, days: int, out: Path, source: Path = SOURCE, seed: int = 7,
             progress=print) -> Path:
    if not 1 <= series <= MAX_SERIES:
        raise SystemExit(f"--series must be 1..{MAX_SERIES:,}, not {series}")
    if not 28 <= days <= FULL_DAYS:
        raise SystemExit(f"--days must be 28..{FULL_DAYS} (the slice's history), not {days}")
    folder = folder_for(out, series, days)
    done = folder / ".complete"
    if done.exists():
        progress(f"catalogue {folder} exists: reusing it")
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)

    calendar = pd.read_csv(source / "calendar.csv", dtype=str, keep_default_na=False)
    calendar.to_csv(folder / "calendar.csv", index=False)
    week_of_day = calendar["wm_yr_wk"].astype(int).to_numpy()[:FULL_DAYS]
    weeks = np.unique(week_of_day)
    day_week = np.searchsorted(weeks, week_of_day)  # week column of each of the 1,913 days

    sales = pd.read_csv(source / "sales_train_validation.csv")
    day_cols = [f"d_{i}" for i in range(1, FULL_DAYS + 1)]
    units = sales[day_cols].to_numpy(dtype=np.int64)
    stores = sorted(sales["store_id"].unique())
    items = sorted(sales["item_id"].unique())
    row_of = {(s, i): n for n, (s, i) in enumerate(zip(sales["store_id"], sales["item_id"]))}
    meta = sales.drop_duplicates("item_id").set_index("item_id")[["dept_id", "cat_id"]]
    state_of = dict(zip(sales["store_id"], sales["state_id"]))

    prices = pd.read_csv(source / "sell_prices.csv")
    grid = np.full((len(sales), len(weeks)), np.nan)
    rows = np.array([row_of[(s, i)] for s, i in zip(prices["store_id"], prices["item_id"])])
    grid[rows, np.searchsorted(weeks, prices["wm_yr_wk"].to_numpy())] = prices["sell_price"].to_numpy()

    kept_days = day_cols[FULL_DAYS - days:]
    n_items = math.ceil(series / len(stores))
    width = len(str(n_items))
    sales_path, prices_path = folder / "sales_train_validation.csv", folder / "sell_prices.csv"
    with open(sales_path, "w", newline="") as sales_file, open(prices_path, "w", newline="") as prices_file:
        sales_out, prices_out = csv.writer(sales_file), csv.writer(prices_file)
        sales_out.writerow(["id", "item_id", "dept_id", "cat_id", "store_id", "state_id"] + kept_days)
        prices_out.writerow(["store_id", "item_id", "wm_yr_wk", "sell_price"])
        written = 0
        for k in range(n_items):
            source_item = items[rng.integers(len(items))]
            roll = int(rng.integers(ROLL_WEEKS))
            item_id = f"{source_item}_{k:0{width}d}"
            dept, cat = meta.loc[source_item, "dept_id"], meta.loc[source_item, "cat_id"]
            for store in stores[: min(len(stores), series - written)]:
                r = row_of[(store, source_item)]
                rolled = np.roll(units[r], roll * 7)
                keep = rng.uniform(*KEEP_RATE)
                thinned = rng.binomial(rolled, keep)[FULL_DAYS - days:]
                sales_out.writerow([f"{item_id}_{store}_validation", item_id, dept, cat, store, state_of[store]]
                                   + thinned.tolist())
                week_prices = np.roll(grid[r], roll)
                listed = np.flatnonzero(~np.isnan(week_prices))
                first_week = day_week[FULL_DAYS - days]
                for w in listed[listed >= first_week]:
                    prices_out.writerow([store, item_id, int(weeks[w]), f"{week_prices[w]:.2f}"])
                written += 1
            if (k + 1) % max(1, n_items // 10) == 0:
                progress(f"catalogue: {written:,} of {series:,} series written "
                         f"({time.perf_counter() - started:.0f} s)")
    done.write_text(f"{series} series x {days} days, seed {seed}\n")
    progress(f"catalogue {folder}: {series:,} series x {days:,} days in {time.perf_counter() - started:.0f} s")
    return folder


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=30490)
    parser.add_argument("--days", type=int, default=FULL_DAYS)
    parser.add_argument("--out", type=Path, default=REPO / "var" / "scale")
    parser.add_argument("--source", type=Path, default=SOURCE)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    generate(args.series, args.days, args.out, args.source, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
