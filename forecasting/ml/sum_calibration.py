"""Calibration of interval sums for reorder decisions (pure numpy; no Django).

A reorder decision needs the distribution of demand summed over its protection interval (lead
time + review period), at a fractile such as p / (p + h); the model's daily quantiles, drawn as
independent days, give a sum distribution that is badly calibrated (too wide on the bundled
data: its nominal 0.833 or 0.9 quantile covered 0.87-0.97 of real sums in bench.replenish).
So each run calibrates it on its own holdout, as a conformal predictive distribution:

* centre = the sum of the forecast's daily means over the interval;
* scale = the series' own spread: the standard deviation of its last 56 observed days x
  sqrt(interval days), at least the Poisson spread sqrt(centre) (demand is counts);
* score = (realised sum - centre) / scale on the holdout, per demand class and interval
  length (7, 14, 21, 28 days), stored as 99 quantiles in the run's metrics.

A decision then draws its interval demand as centre + scale x a score drawn from those
quantiles (replenishment.decision_demand), so its fractile is the one the holdout says it is.
One holdout origin gives one case per series; classes with fewer than 30 cases use the pooled
scores.
"""
from __future__ import annotations

import numpy as np

INTERVALS = (7, 14, 21, 28)
LEVELS = tuple(round(float(x), 2) for x in np.arange(0.01, 1.0, 0.01))
SCALE_WINDOW = 56
MIN_CASES = 30


def daily_spread(history) -> np.ndarray:
    """(N,) standard deviation of the last 56 observed days of ``history`` (N, T) (NaN: not observed)."""
    h = np.atleast_2d(np.asarray(history, float))[:, -SCALE_WINDOW:]
    n = (~np.isnan(h)).sum(1)
    sd = np.zeros(h.shape[0])
    sd[n > 1] = np.nanstd(h[n > 1], axis=1, ddof=1)     # fewer than two observed days: no spread
    return np.nan_to_num(sd)


def scale_from(spread, days, centre) -> np.ndarray:
    """The scale of a ``days``-day sum: spread x sqrt(days), at least sqrt(centre)."""
    return np.maximum(np.maximum(np.asarray(spread, float) * np.sqrt(days), np.sqrt(np.maximum(centre, 0))), 1e-6)


def interval_scale(history, days: int, centre) -> np.ndarray:
    """(N,) scale of a ``days``-day sum from ``history`` (N, T) of daily demand."""
    return scale_from(daily_spread(history), days, centre)


def fit(history, mean, actual, classes) -> dict:
    """Score quantiles per interval length and class from one holdout: ``history`` (N, T)
    before the holdout, ``mean`` and ``actual`` (N, H) of the holdout (NaN actual: unobserved)."""
    mean, actual, cls = np.asarray(mean, float), np.asarray(actual, float), np.asarray(classes)
    out = {"levels": list(LEVELS), "intervals": {}, "cases": {}}
    for k in INTERVALS:
        if k > mean.shape[1]:
            break
        ok = ~np.isnan(actual[:, :k]).any(1)
        if ok.sum() < MIN_CASES:
            continue
        centre = mean[:, :k].sum(1)
        scores = ((actual[:, :k].sum(1) - centre) / interval_scale(history, k, centre))[ok]
        groups = {"*": scores}
        for c in np.unique(cls[ok]):
            if (cls[ok] == c).sum() >= MIN_CASES:
                groups[str(c)] = scores[cls[ok] == c]
        out["intervals"][str(k)] = {c: np.round(np.quantile(s, LEVELS), 4).tolist() for c, s in groups.items()}
        out["cases"][str(k)] = {c: int(s.size) for c, s in groups.items()}
    return out


def score_quantiles(calibration: dict | None, days: int, demand_class: str):
    """(levels, quantiles) of the scores for an interval of ``days`` (the nearest calibrated
    length) and a class (pooled if the class had too few cases); None when not calibrated."""
    if not calibration or not calibration.get("intervals"):
        return None
    lengths = sorted(int(k) for k in calibration["intervals"])
    k = min(lengths, key=lambda x: (abs(x - days), x))
    table = calibration["intervals"][str(k)]
    q = table.get(str(demand_class), table["*"])
    return np.asarray(calibration["levels"], float), np.asarray(q, float)


def interval_values(centre, scale, scores) -> np.ndarray:
    """Interval demand centre + scale x score, at least 0: the conformal predictive distribution at
    the given scores (``centre``, ``scale`` (N,) and ``scores`` (N, Q), or all three alike)."""
    centre, scale = np.asarray(centre, float), np.asarray(scale, float)
    scores = np.asarray(scores, float)
    if scores.ndim == 2 and centre.ndim == 1:
        centre, scale = centre[:, None], scale[:, None]
    return np.maximum(centre + scale * scores, 0)


def score_table(calibration: dict | None, days, classes):
    """``score_quantiles`` for many pairs at once: (levels (Q,), quantiles (N, Q)) for intervals
    of ``days`` (N,) and demand ``classes`` (N,); None when not calibrated."""
    days, classes = np.asarray(days, int), np.asarray(classes)
    out = None
    for k in np.unique(days):
        for c in np.unique(classes[days == k]):
            found = score_quantiles(calibration, int(k), str(c))
            if found is None:
                return None
            levels, q = found
            if out is None:
                out = np.zeros((days.size, levels.size))
            out[(days == k) & (classes == c)] = q
    return (levels, out) if out is not None else None
