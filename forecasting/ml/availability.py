"""Periods when a product was not on the shelf, read from its sales alone.

Sales are demand only while the product can be bought. A run of zero-sales days far longer than
the product's own rate makes likely (a product selling 10 a day has no 14 quiet days by chance:
e^-140) is a stock-out or a delisting, not a fortnight without customers. Training on those zeros
teaches the model that demand vanishes, and a context ending in such a run forecasts zero for a
product that sells again as soon as it is back. Such runs are marked unobserved (NaN): they drop
out of the training loss and of the context, and a product whose recent history is all
unavailable is forecast like a new one (from its item, category, description and price), which
is the demand the replenishment side needs when it decides to restock it.

The test is per series on the history it is given, so a forecast made at an origin never uses
days after it: a run is judged by its length up to the origin and the rate before it.

Sales alone cannot tell a stock-out from an out-of-season silence, and the catalogues disagree.
Masking a single network on the M5 grocery slice: three-origin WRMSSE 0.772 -> 0.732 and 0.755 ->
0.716 (two seeds); on Online Retail's seasonal gifts 0.681 -> 0.701 and 0.669 -> 0.672, with
intervals far too narrow (scaled pinball 0.30 -> 0.45). What it changes is mostly the level: the
unmasked network under-forecast M5's last three months by 6-8 % at the first two origins, the
masked one by -1 to +5 %. Choosing per catalogue on the validation window failed both ways
(it preferred unmasked on M5, 0.665 vs 0.819 on M5's metric there, and masked on Online Retail),
because the window before the backtest has a different level than the windows after it; requiring
sales in the same weeks a year before kept Online Retail at 0.688 and lost the M5 gain.
So the default (TrainConfig.mask_stockouts="both") trains one network each way and forecasts
their mean, which is the hedge between the two readings: M5 0.733 / 0.728, Online Retail
0.681 / 0.659 (the mean of the single networks above, before weight averaging; bench.forecast has the rest).
Days known to be out of stock (recorded in_stock false, or empty all day in the stock ledger)
are unobserved whatever this setting: that is forecasting.ml.data and forecasting.services.
"""
from __future__ import annotations

import numpy as np

MIN_RUN = 14          # periods: shorter quiet spells are left as zeros whatever the rate
MAX_CHANCE = 1e-3     # a run whose Poisson probability at the series' rate is below this is unavailability


def unavailable_runs(y: np.ndarray, min_run: int = MIN_RUN, max_chance: float = MAX_CHANCE) -> np.ndarray:
    """Boolean ``[series, period]``: True inside zero runs too long to be chance.

    A run of k zeros at a mean rate r has probability e^(-r k) under Poisson demand; runs with
    k >= max(min_run, ln(1/max_chance) / r) are flagged. NaN periods (before a series starts,
    the future) are neither zeros nor part of a run.

    Vectorised over the whole panel (a forecast of M5's 30,490 series x 1,913 days runs this at
    every prediction): the rows are laid end to end with a separator between them, every zero run
    is found by its edges, and the flagged runs are painted back with a difference array.
    """
    y = np.asarray(y)
    n, t = y.shape
    observed = ~np.isnan(y)
    rate = np.nansum(y, axis=1, dtype=np.float64) / np.maximum(observed.sum(axis=1), 1)
    k_min = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    selling = rate > 0
    k_min[selling] = np.maximum(min_run, np.ceil(np.log(1.0 / max_chance) / rate[selling])).astype(np.int64)
    zero = np.zeros((n, t + 1), dtype=np.int8)   # the extra column separates the rows
    zero[:, :t] = y == 0                          # NaN compares unequal: not a zero
    edges = np.diff(zero.reshape(-1), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    long_enough = (ends - starts) >= k_min[starts // (t + 1)]
    paint = np.zeros(n * (t + 1) + 1, dtype=np.int8)
    paint[starts[long_enough]] = 1
    paint[ends[long_enough]] = -1
    flagged = np.cumsum(paint[:-1], dtype=np.int8).reshape(n, t + 1)[:, :t]
    return flagged.astype(bool)


def mask_unavailable(y: np.ndarray, **kwargs) -> np.ndarray:
    """A copy of ``y`` with unavailable periods set to NaN."""
    out = np.array(y, dtype=np.float32, copy=True)
    out[unavailable_runs(y, **kwargs)] = np.nan
    return out
