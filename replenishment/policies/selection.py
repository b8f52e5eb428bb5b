"""Choosing each series' ordering method from replayed costs (pure numpy).

The rule, in two steps, each guarded against picking noise:

1. per demand class: the method with the lowest total replayed cost over the class's series
   replaces the incumbent only if it costs at most (1 - ``class_margin``) x the incumbent's
   and, across the class's series, the saving is significant (paired t > ``min_t``, 2);
2. per series with enough history (sales in at least ``min_selling_share`` of the replayed
   periods): the series' own cheapest method replaces its class's choice only if it costs at
   most (1 - ``pair_margin``) x what the class's choice cost that series and, when the
   per-period costs are given, the saving is significant over the periods (paired t > ``min_t``).

Methods that could not be replayed (NaN cost, e.g. a learned policy that was never trained)
are never chosen. The costs must come from periods before the ones the choice is used for.
"""
from __future__ import annotations

import numpy as np

CLASS_MARGIN = 0.05     # the product's default (settings.STOCKCAST_REPLAY_MARGIN reads it)
PAIR_MARGIN = 0.10
MIN_SELLING_SHARE = 0.5
MIN_T = 2.0


def _paired_t(saving: np.ndarray, axis=-1) -> np.ndarray:
    """t statistic of the mean of paired savings (0 where they do not vary and are not > 0)."""
    n = saving.shape[axis]
    mean = saving.mean(axis)
    sd = saving.std(axis, ddof=1) if n > 1 else np.zeros_like(mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / (sd / np.sqrt(n))
    return np.where(sd > 0, t, np.where(mean > 0, np.inf, 0.0))


def select_methods(costs: dict, classes, selling_share, incumbent: str, *, class_margin: float = CLASS_MARGIN,
                   pair_margin: float = PAIR_MARGIN, min_selling_share: float = MIN_SELLING_SHARE,
                   per_period: dict | None = None, min_t: float = MIN_T):
    """-> (chosen method per series (N,) object array, {class: method}). ``per_period``:
    {method: (N, P) cost per series and period}, for the per-series significance test."""
    if incumbent not in costs:
        raise ValueError(f"incumbent {incumbent!r} is not among the replayed methods {sorted(costs)}")
    names = [m for m in costs if np.all(np.isfinite(costs[m]))]
    if incumbent not in names:
        raise ValueError(f"the incumbent {incumbent!r} has no replayed cost")
    cost = np.vstack([np.asarray(costs[m], float) for m in names])      # (M, N)
    cls = np.asarray(classes)
    inc = names.index(incumbent)
    chosen = np.empty(cost.shape[1], dtype=object)
    by_class = {}
    for c in np.unique(cls):
        m = cls == c
        totals = cost[:, m].sum(1)
        best = int(np.argmin(totals))
        significant = m.sum() > 1 and float(_paired_t(cost[inc, m] - cost[best, m])) > min_t
        pick = best if totals[best] <= (1 - class_margin) * totals[inc] and best != inc and significant else inc
        by_class[str(c)] = names[pick]
        chosen[m] = names[pick]
    share = np.asarray(selling_share, float)
    own = np.argmin(cost, axis=0)
    class_idx = np.array([names.index(x) for x in chosen])
    cols = np.arange(cost.shape[1])
    better = (share >= min_selling_share) & (cost[own, cols] <= (1 - pair_margin) * cost[class_idx, cols]) \
        & (own != class_idx)
    if per_period is not None:
        periods = np.stack([np.asarray(per_period[m], float) for m in names])          # (M, N, P)
        better &= _paired_t(periods[class_idx, cols] - periods[own, cols]) > min_t
    chosen[better] = np.array(names, dtype=object)[own[better]]
    return chosen, by_class
