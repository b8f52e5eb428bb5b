"""Calibrating the order-up-to level on a rolling backtest of the decision itself (pure numpy).

A base-stock decision is right when the demand of its protection interval (lead time +
review period) stays at or below the order-up-to level in a fraction of cases equal to the
critical fractile p / (p + h). A forecast's own quantile of the interval sum rarely does: the
periods' errors are correlated, the model's spread is fitted to one-period losses, demand is
discrete. So the level is chosen by recalibration (Kuleshov et al., 2018, for quantiles):
over past decisions whose outcome is known, find the nominal level of the forecast's sum
distribution whose empirical coverage is closest to the target, per demand class (a class
with fewer than ``min_cases`` cases takes the pooled level).
"""
from __future__ import annotations

import numpy as np

GRID = np.round(np.concatenate([np.arange(0.30, 0.95, 0.01), np.arange(0.95, 0.996, 0.0025)]), 4)
MIN_CASES = 50


def coverage(sum_quantiles, realised) -> np.ndarray:
    """Fraction of cases with realised <= the sum quantile, per grid level: (G,)."""
    return (np.asarray(realised, float)[:, None] <= np.asarray(sum_quantiles, float)).mean(0)


def _closest(cov: np.ndarray, target: float) -> int:
    gap = np.abs(cov - target)
    return int(np.flatnonzero(gap <= gap.min() + 1e-12)[0])   # ties: the lower level (less stock)


def calibrated_levels(sum_quantiles, realised, classes, target: float, grid=GRID,
                      min_cases: int = MIN_CASES) -> dict:
    """{class: nominal level} plus "*" for the pooled level; also the backtest coverage each
    level reached: {"levels": {...}, "coverage": {...}, "cases": {...}}."""
    sq, real, cls = np.asarray(sum_quantiles, float), np.asarray(realised, float), np.asarray(classes)
    if sq.shape != (real.size, len(grid)):
        raise ValueError("sum_quantiles must be (cases, grid levels)")
    if real.size == 0:
        raise ValueError("no backtest cases to calibrate on")
    pooled_cov = coverage(sq, real)
    j = _closest(pooled_cov, target)
    out = {"levels": {"*": float(grid[j])}, "coverage": {"*": float(pooled_cov[j])}, "cases": {"*": int(real.size)}}
    for c in np.unique(cls):
        m = cls == c
        out["cases"][str(c)] = int(m.sum())
        if m.sum() < min_cases:
            continue
        cov = coverage(sq[m], real[m])
        k = _closest(cov, target)
        out["levels"][str(c)] = float(grid[k])
        out["coverage"][str(c)] = float(cov[k])
    return out


def level_for(calibration: dict, classes) -> np.ndarray:
    """The calibrated nominal level per series from its demand class (pooled where unknown)."""
    levels = calibration["levels"]
    return np.array([levels.get(str(c), levels["*"]) for c in classes], float)


def conformal_offsets(scores, classes, target: float, min_cases: int = MIN_CASES) -> dict:
    """Split-conformal offsets of normalised errors ``(realised - centre) / scale`` per class:
    the ceil((n + 1) target) / n empirical quantile, so that ``centre + offset x scale`` covers
    a new case with probability >= target when cases are exchangeable (pooled under "*")."""
    s, cls = np.asarray(scores, float), np.asarray(classes)
    if s.size == 0:
        raise ValueError("no backtest cases to calibrate on")

    def q(x):
        level = min(np.ceil((x.size + 1) * target) / x.size, 1.0)
        return float(np.quantile(x, level, method="higher"))

    out = {"offsets": {"*": q(s)}, "cases": {"*": int(s.size)}}
    for c in np.unique(cls):
        m = cls == c
        out["cases"][str(c)] = int(m.sum())
        if m.sum() >= min_cases:
            out["offsets"][str(c)] = q(s[m])
    return out


def offset_for(calibration: dict, classes) -> np.ndarray:
    offsets = calibration["offsets"]
    return np.array([offsets.get(str(c), offsets["*"]) for c in classes], float)
