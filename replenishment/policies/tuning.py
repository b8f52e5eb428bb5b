"""Choosing the safety factor of an order-up-to rule by what its replay cost (pure numpy).

Coverage calibration (``calibration.py``) aims the order-up-to level at the critical fractile
p / (p + h) of the protection-interval demand. That level is the cost optimum of a backorder
system with known, stationary demand. A shop's replay is none of these: unmet demand is lost
(so a shortfall does not carry into the next period and the position overstates what will be
on the shelf), the centre of the forecast is biased in ways a coverage count does not weigh
by cost, and demand is lumpy counts. So here the level is ``S = centre + k x scale`` and the
factor ``k`` is the one whose replay over past periods cost least, per demand class: the
sample-average approximation of the rule's one parameter, judged on the cost the shop pays
rather than on a proxy for it.

Given the backtest coverage of each factor, the choice can be kept inside a band around the
fractile (``COVERAGE_BAND``): calibration is then the constraint and cost the objective within
it, for a shop that promises a service level and wants it at the least cost.

Guards against fitting noise: one factor per class (never per series), a class with fewer
than ``MIN_SERIES`` series takes the pooled factor, and a flat cost curve is resolved to the
smallest factor within ``TOLERANCE`` of the minimum (less stock for the same cost).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

FACTORS = np.round(np.arange(-1.5, 3.01, 0.1), 2)
MIN_SERIES = 20
TOLERANCE = 0.002   # 0.2 % of the class's cost: differences below it are noise, take less stock
# the coverage a cost-tuned factor may keep: within 2 points of the fractile on its backtest, so
# that with the backtest's own sampling error (about 1 point on a class of 1,000 cases) it stays
# within the 3 points the replay benchmark allows (issue #16)
COVERAGE_BAND = 0.02


def tuned_level(centre, scale, k) -> np.ndarray:
    """The order-up-to level ``centre + k x scale``, at least 0."""
    return np.maximum(np.asarray(centre, float) + np.asarray(k, float) * np.asarray(scale, float), 0.0)


def moment_matched(centres, scales) -> tuple[np.ndarray, np.ndarray]:
    """One centre and scale from the centres and scales of several lead-time draws (last axis):
    their mean centre, and a scale whose square is the draws' mean squared scale plus the
    centres' variance (the spread a random lead time adds to the sum). With a certain lead time
    (identical draws) they are the draws' own, so a factor means the same with either."""
    centres, scales = np.asarray(centres, float), np.asarray(scales, float)
    return centres.mean(-1), np.sqrt((scales ** 2).mean(-1) + centres.var(-1))


def cost_by_factor(play: Callable[[float], np.ndarray], factors=FACTORS) -> np.ndarray:
    """(G, N): the replayed cost per series of each factor; ``play(k)`` returns (N,) costs."""
    return np.stack([np.asarray(play(float(k)), float) for k in factors])


def _argmin_low(curve: np.ndarray) -> int:
    """The smallest index whose cost is within TOLERANCE of the curve's minimum."""
    best = curve.min()
    return int(np.flatnonzero(curve <= best + TOLERANCE * abs(best) + 1e-12)[0])


def _argmin_in_band(curve: np.ndarray, coverage, target, band) -> int:
    """``_argmin_low`` among the factors whose coverage lies within ``band`` of ``target``; with
    none there, the factor whose coverage came closest (the coverage target comes first)."""
    if coverage is None:
        return _argmin_low(curve)
    gap = np.abs(np.asarray(coverage, float) - target)
    allowed = gap <= band + 1e-12
    if not allowed.any():
        return int(np.flatnonzero(gap <= gap.min() + 1e-12)[0])
    return _argmin_low(np.where(allowed, curve, np.inf))


def tuned_factors(costs, classes, factors=FACTORS, min_series: int = MIN_SERIES, coverage: dict | None = None,
                  target: float | None = None, band: float | None = None) -> dict:
    """{"factors": {class: k, "*": pooled k}, "series": {class: n}} from ``costs`` (G, N).

    With ``coverage`` ({class or "*": (G,) backtest coverage of each factor}), ``target`` and
    ``band``, the cost decides only among the factors whose coverage lies within ``band`` of
    ``target``: calibration as a constraint, cost as the objective inside it."""
    costs, cls = np.asarray(costs, float), np.asarray(classes)
    if costs.shape[0] != len(factors) or costs.shape[1] != cls.size:
        raise ValueError("costs must be (factors, series) with one class per series")
    if cls.size == 0:
        raise ValueError("no series to tune the factor on")
    if coverage is not None and (target is None or band is None):
        raise ValueError("a coverage constraint needs its target and band")

    def pick(key, curve):
        cov = None if coverage is None else coverage.get(key)
        return float(factors[_argmin_in_band(curve, cov, target, band)])

    out = {"factors": {"*": pick("*", costs.sum(1))}, "series": {"*": int(cls.size)}}
    for c in np.unique(cls):
        rows = cls == c
        out["series"][str(c)] = int(rows.sum())
        if rows.sum() >= min_series and (coverage is None or str(c) in coverage):
            out["factors"][str(c)] = pick(str(c), costs[:, rows].sum(1))
    return out


def factor_for(tuned: dict, classes) -> np.ndarray:
    """The tuned factor per series from its demand class (pooled where the class had too few)."""
    f = tuned["factors"]
    return np.array([f.get(str(c), f["*"]) for c in classes], float)
