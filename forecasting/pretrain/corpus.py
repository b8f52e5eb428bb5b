"""The pretraining corpus: the shared real data sets and generated demand, as one panel per
frequency (issue #17).

The global model trains on one panel, whose dates give the calendar features (weekday, day of
the year). The sources cover different years, so each is moved onto a common grid that ends on
``ANCHOR``, by whole years of 364 days (52 weeks): a Monday stays a Monday and a day of the year
moves by at most a day and a quarter per year moved. Every series keeps its own span; outside
it the grid is unknown (NaN demand and price, no promotion). Ids, categories and descriptions
are prefixed by the source, so two sources' "FOODS_1" never meet.

Sources by frequency: daily, the M5 slice (m5_tiny) and the pasta promotions (pasta_promo);
weekly, Online Retail II; both, generated demand (``synthetic``). ``leave_out`` drops one real
source, for the leave-one-out benchmark.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from forecasting.ml.data import DataError, Panel, load_m5, load_online_retail, load_pasta_promo

from . import synthetic

# The grids' last day (a Sunday) and last week (its Monday: weeks start on Mondays, as Online
# Retail's do).
ANCHOR = {"D": pd.Timestamp("2024-12-29"), "W": pd.Timestamp("2024-12-23")}
REAL: dict[str, tuple[str, Callable[[], Panel]]] = {
    "m5_tiny": ("D", load_m5),
    "pasta_promo": ("D", load_pasta_promo),
    "online_retail_weekly": ("W", load_online_retail),
}
# The grids' lengths: the longest source (M5's 1,913 days) fits after its move by whole years,
# which leaves up to 363 days free at the end.
GRID_DAYS = {"D": 2_300, "W": 330}


def build(freq: str, *, leave_out: str | None = None, generated: int = 4_000, seed: int = 0,
          loaders: dict[str, tuple[str, Callable[[], Panel]]] | None = None) -> Panel:
    """The corpus of ``freq`` ("D" or "W"): every real source of that frequency but ``leave_out``,
    plus ``generated`` generated series. ``loaders`` replaces REAL (tests)."""
    if freq not in GRID_DAYS:
        raise DataError(f"freq must be 'D' or 'W', got {freq!r}")
    sources = REAL if loaders is None else loaders
    if leave_out is not None and leave_out not in sources:
        raise DataError(f"leave_out: unknown source {leave_out!r}; one of {sorted(sources)}")
    step = pd.Timedelta(days=7 if freq == "W" else 1)
    grid = pd.date_range(end=ANCHOR[freq], periods=GRID_DAYS[freq], freq=step)
    parts = [(name, load()) for name, (f, load) in sources.items() if f == freq and name != leave_out]
    if generated:
        days = min(GRID_DAYS[freq] * (7 if freq == "W" else 1), synthetic.MAX_DAYS, synthetic.MAX_CELLS // generated)
        # a weekly catalogue may be a grocer's (the default ranges) or a gift shop's long tail
        # (synthetic.LONG_TAIL): half each, under two seeds so that no id repeats
        halves = ([(generated - generated // 2, seed, synthetic.Ranges()),
                   (generated // 2, seed + 1_000_003, synthetic.LONG_TAIL)] if freq == "W"
                  else [(generated, seed, synthetic.Ranges())])
        for n, part_seed, ranges in halves:
            if n:
                parts.append(("generated", synthetic.generate(n, days, freq=freq, seed=part_seed,
                                                              start=str(grid[0].date()), ranges=ranges)))
    if not parts:
        raise DataError(f"no source for freq {freq!r} once {leave_out!r} is left out")
    return _merge(grid, parts)


def shift_onto(dates: pd.DatetimeIndex, grid_end: pd.Timestamp) -> int:
    """Whole years of 364 days that move ``dates`` to end on or just before ``grid_end``."""
    return int(np.floor((grid_end - dates[-1]).days / 364))


def _merge(grid: pd.DatetimeIndex, parts: list[tuple[str, Panel]]) -> Panel:
    n = sum(p.n_series for _, p in parts)
    t = len(grid)
    y = np.full((n, t), np.nan, np.float32)
    price = np.full((n, t), np.nan, np.float32)
    promo, event, snap = (np.zeros((n, t), np.float32) for _ in range(3))
    ids, category, description, source = [], [], [], []
    row = 0
    for name, p in parts:
        years = shift_onto(p.dates[:p.n_obs], grid[-1])
        moved = p.dates[:p.n_obs] + pd.Timedelta(days=364 * years)
        at = grid.get_indexer(moved)
        keep = at >= 0  # days that fall before the grid's start are dropped
        if not keep.any():
            raise DataError(f"source {name}: none of its days fall on the corpus grid ({grid[0].date()} to "
                            f"{grid[-1].date()})")
        rows = slice(row, row + p.n_series)
        cols = at[keep]
        for target, source_array in ((y, p.y), (price, p.price), (promo, p.promo), (event, p.event), (snap, p.snap)):
            target[rows, cols] = source_array[:, :p.n_obs][:, keep]
        ids += [f"{name}:{i}" for i in p.ids]
        category += [f"{name}:{c}" for c in p.category]
        description += [str(d) for d in p.description]
        source += [name] * p.n_series
        row += p.n_series
    return Panel(np.array(ids, dtype=object), grid, parts[0][1].freq, y, price, promo, event, snap,
                 np.array(category, dtype=object), np.array(description, dtype=object), n_obs=t,
                 extra={"source": np.array(source, dtype=object)})
