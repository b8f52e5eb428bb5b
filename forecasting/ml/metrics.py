"""Forecast accuracy metrics on ``[series, horizon]`` arrays.

Scales follow M5: the in-sample denominator of MASE/RMSSE uses one-step naive errors
over each series' history from its first observed day (leading days before a series
starts are NaN and ignored).  Series whose history has no variation (scale 0) have no
defined MASE/RMSSE; they come back NaN and WRMSSE renormalises the weights over the rest.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np


def _quiet(fn):
    """All-NaN rows (a series with no actuals in a window) give NaN, which callers handle:
    numpy's 'Mean of empty slice' warning says nothing new."""
    @functools.wraps(fn)
    def wrapper(*a, **kw):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return fn(*a, **kw)
    return wrapper


@_quiet
def _naive_scale(insample: np.ndarray, power: int) -> np.ndarray:
    """mean(|y_t - y_{t-1}|^power) per series over observed history."""
    insample = np.asarray(insample, dtype=np.float64)
    d = np.diff(insample, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.nanmean(np.abs(d) ** power, axis=1) if d.shape[1] else np.full(len(insample), np.nan)
    return s


@_quiet
def mase(y: np.ndarray, f: np.ndarray, insample: np.ndarray) -> np.ndarray:
    """Mean absolute scaled error per series."""
    scale = _naive_scale(insample, 1)
    err = np.nanmean(np.abs(np.asarray(y, np.float64) - f), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 0, err / scale, np.nan)


@_quiet
def rmsse(y: np.ndarray, f: np.ndarray, insample: np.ndarray) -> np.ndarray:
    """Root mean squared scaled error per series (M5)."""
    scale = _naive_scale(insample, 2)
    err = np.nanmean((np.asarray(y, np.float64) - f) ** 2, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(scale > 0, np.sqrt(err / scale), np.nan)


def m5_weights(insample: np.ndarray, price: np.ndarray | None, window: int = 28) -> np.ndarray:
    """Weight of each series: dollar sales over the last ``window`` days of its history.

    Where price is unknown (NaN, or no price at all) units count instead of dollars, so a
    data set without prices is weighted by volume.  Weights sum to 1.
    """
    ys = np.nan_to_num(np.asarray(insample, np.float64)[:, -window:])
    if price is None:
        p = np.ones_like(ys)
    else:
        p = np.asarray(price, np.float64)[:, -window:]
        p = np.where(np.isnan(p), 1.0, p) if np.isnan(p).all() else np.where(np.isnan(p), 0.0, p)
    w = (ys * p).sum(axis=1)
    if w.sum() <= 0:
        w = np.ones(len(w))
    return w / w.sum()


def wrmsse(y: np.ndarray, f: np.ndarray, insample: np.ndarray, weights: np.ndarray) -> float:
    """Weighted RMSSE at one level (here the bottom level: each series is one item x store)."""
    r = rmsse(y, f, insample)
    ok = ~np.isnan(r)
    if not ok.any():
        return float("nan")
    w = np.asarray(weights, np.float64)[ok]
    return float((w * r[ok]).sum() / w.sum())


# M5's twelve levels: total, state, store, category, department, state x category, state x
# department, store x category, store x department, item, item x state, item x store (bottom).
M5_LEVELS = ((), ("state_id",), ("store_id",), ("cat_id",), ("dept_id",), ("state_id", "cat_id"),
             ("state_id", "dept_id"), ("store_id", "cat_id"), ("store_id", "dept_id"), ("item_id",),
             ("item_id", "state_id"), ("item_id", "store_id"))


def _group_index(hierarchy: dict, keys: tuple, n: int) -> np.ndarray:
    if not keys:
        return np.zeros(n, np.int64)
    cols = [np.asarray(hierarchy[k], dtype=object).astype(str) for k in keys]
    joined = cols[0] if len(cols) == 1 else np.array(["|".join(t) for t in zip(*cols)], dtype=object)
    return np.unique(joined, return_inverse=True)[1].reshape(-1)


def _sum_groups(x: np.ndarray, g: np.ndarray, n_groups: int) -> np.ndarray:
    out = np.zeros((n_groups,) + x.shape[1:], np.float64)
    np.add.at(out, g, x)
    return out


@_quiet
def wrmsse_levels(y: np.ndarray, f: np.ndarray, insample: np.ndarray, price: np.ndarray | None,
                  hierarchy: dict, levels=M5_LEVELS, window: int = 28) -> tuple[float, dict]:
    """M5's WRMSSE: RMSSE of every aggregate series at every level of the hierarchy (sums of the
    bottom-level actuals and point forecasts), weighted within a level by the aggregate's dollar
    sales over the last ``window`` days of history, and the levels weighted equally.

    As in M5, an aggregate's scale uses its own history from its first non-zero day; bottom
    days before a series starts (NaN) count as zero sales in the sums.  Returns the overall
    figure and the figure per level (named by its keys, "total" for the top).
    """
    y0 = np.nan_to_num(np.asarray(y, np.float64))
    f0 = np.nan_to_num(np.asarray(f, np.float64))
    ins0 = np.nan_to_num(np.asarray(insample, np.float64))
    bottom = m5_weights(insample, price, window)  # an aggregate's weight is the sum of its members'
    n = len(y0)
    per_level, scores = {}, []
    for keys in levels:
        g = _group_index(hierarchy, keys, n)
        k = int(g.max()) + 1
        agg_ins = _sum_groups(ins0, g, k)
        started = np.cumsum(agg_ins != 0, axis=1) > 0  # history from the first non-zero day
        agg_ins = np.where(started, agg_ins, np.nan)
        r = rmsse(_sum_groups(y0, g, k), _sum_groups(f0, g, k), agg_ins)
        w = _sum_groups(bottom, g, k)
        ok = ~np.isnan(r) & (w > 0)
        value = float((w[ok] * r[ok]).sum() / w[ok].sum()) if ok.any() else float("nan")
        per_level["x".join(keys) or "total"] = value
        scores.append(value)
    return float(np.nanmean(scores)), per_level


@_quiet
def pinball(y: np.ndarray, q_pred: np.ndarray, levels) -> np.ndarray:
    """Mean pinball loss per quantile level; ``q_pred`` is ``[N, H, Q]``."""
    y = np.asarray(y, np.float64)[..., None]
    lv = np.asarray(levels, np.float64)
    diff = y - q_pred
    loss = np.maximum(lv * diff, (lv - 1) * diff)
    return np.nanmean(loss.reshape(-1, len(lv)), axis=0)


@_quiet
def scaled_pinball(y: np.ndarray, q_pred: np.ndarray, levels, insample: np.ndarray) -> float:
    """M5-uncertainty style: pinball per series divided by its naive MAE scale, averaged
    over quantiles and series (unweighted), so large sellers do not drown the rest."""
    scale = _naive_scale(insample, 1)
    y = np.asarray(y, np.float64)[..., None]
    lv = np.asarray(levels, np.float64)
    diff = y - q_pred
    loss = np.nanmean(np.maximum(lv * diff, (lv - 1) * diff), axis=(1, 2))
    ok = scale > 0
    return float(np.mean(loss[ok] / scale[ok])) if ok.any() else float("nan")


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of actuals inside [lo, hi] (bounds included: demand is a count, ties are hits)."""
    y = np.asarray(y, np.float64)
    ok = ~np.isnan(y)
    inside = (y >= lo) & (y <= hi)
    return float(inside[ok].mean()) if ok.any() else float("nan")


def bias(y: np.ndarray, f: np.ndarray) -> float:
    """Relative bias sum(f - y) / sum(y): +0.1 means forecasts 10 % too high overall."""
    y = np.asarray(y, np.float64)
    ok = ~np.isnan(y)
    tot = y[ok].sum()
    return float((np.asarray(f)[ok] - y[ok]).sum() / tot) if tot > 0 else float("nan")


def _grid_cdf(q: np.ndarray, levels: np.ndarray, v: np.ndarray) -> np.ndarray:
    """P(Y <= v) from a quantile grid ``q [..., Q]`` (levels ``[Q]``), linear between grid points,
    taking the right limit where several quantiles coincide (mass at zero); 0 below the lowest
    and 1 above the highest grid value."""
    q = np.maximum.accumulate(np.asarray(q, np.float64), axis=-1)  # quantiles never cross
    v = np.asarray(v, np.float64)[..., None]
    j = (q <= v).sum(-1)                       # grid points at or below v
    Q = q.shape[-1]
    lo_i = np.clip(j - 1, 0, Q - 1)
    hi_i = np.clip(j, 0, Q - 1)
    q_lo = np.take_along_axis(q, lo_i[..., None], -1)[..., 0]
    q_hi = np.take_along_axis(q, hi_i[..., None], -1)[..., 0]
    t_lo, t_hi = levels[lo_i], levels[hi_i]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(q_hi > q_lo, (v[..., 0] - q_lo) / (q_hi - q_lo), 0.0)
    f = t_lo + (t_hi - t_lo) * np.clip(frac, 0, 1)
    f = np.where(j == 0, 0.0, f)
    return np.where((j == Q) & (v[..., 0] > q[..., -1]), 1.0, f)


@_quiet
def pit_coverage(y: np.ndarray, q_pred: np.ndarray, levels, lo: float = 0.1, hi: float = 0.9) -> float:
    """Coverage of the central ``hi - lo`` interval for count data, from the non-randomised PIT
    (Czado, Gneiting & Held 2009): an outcome y has PIT spread evenly over [F(y - 1), F(y)], and
    counts for the share of that spread inside [lo, hi].  A calibrated forecast scores hi - lo
    however much mass sits on zero; the closed-interval :func:`coverage` cannot, because with a
    p10 of 0 every zero is inside.  ``q_pred`` is the full quantile grid ``[N, H, Q]``."""
    lv = np.asarray(levels, np.float64)
    y = np.asarray(y, np.float64)
    ok = ~np.isnan(y)
    if not ok.any():
        return float("nan")
    yo, qo = y[ok], np.asarray(q_pred)[ok]
    f_hi = _grid_cdf(qo, lv, yo)
    f_lo = _grid_cdf(qo, lv, yo - 1)
    width = f_hi - f_lo
    overlap = np.clip(np.minimum(f_hi, hi) - np.maximum(f_lo, lo), 0, None)
    point = ((f_hi >= lo) & (f_hi <= hi)).astype(np.float64)  # no spread: the PIT is a point
    credit = np.where(width > 1e-12, overlap / np.where(width > 1e-12, width, 1.0), point)
    return float(credit.mean())
