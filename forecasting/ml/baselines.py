"""Classical baselines, each a first-class model with the full quantile grid.

Quantiles:
- naive, seasonal naive and moving average: the point forecast plus the empirical
  quantiles of the method's own past h-step errors on that series (recent year, rolling
  in-sample origins).  Distribution-free, and it widens with the horizon exactly as the
  method's real errors did.
- Croston, SBA and TSB forecast a *rate* (mean demand per day), not a path, so their
  errors are not a useful residual distribution; quantiles come from a negative binomial
  with that mean and the series' recent variance-to-mean ratio (Poisson where the series
  is not over-dispersed).  Integer quantiles suit counts with many zeros.
"""
from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

from .base import QUANTILES, Forecaster, finalize

RESIDUAL_WINDOW = 364   # days of rolling in-sample origins for the error distribution
RESIDUAL_STEP = 2


def _history(panel, origin: int) -> np.ndarray:
    if origin < 1:
        raise ValueError(f"origin must be >= 1 (need at least one day of history), got {origin}")
    return panel.y[:, :origin].astype(np.float64)


def _last_obs(y: np.ndarray) -> np.ndarray:
    valid = ~np.isnan(y)
    idx = np.where(valid, np.arange(y.shape[1])[None, :], -1).max(axis=1)
    out = np.zeros(len(y))
    ok = idx >= 0
    out[ok] = y[np.flatnonzero(ok), idx[ok]]
    return out


class _PathBaseline(Forecaster):
    """Baselines whose forecast is a path computed from the history alone."""

    def point(self, y: np.ndarray, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def predict(self, panel, origin, horizon):
        y = _history(panel, origin)
        point = self.point(y, horizon)
        # past h-step errors of this very method, from rolling origins over the last year
        lo = max(1, origin - RESIDUAL_WINDOW - horizon)
        errs = []
        for o in range(lo, origin - horizon + 1, RESIDUAL_STEP):
            errs.append(y[:, o:o + horizon] - self.point(y[:, :o], horizon))
        if errs:
            e = np.stack(errs, axis=1)  # [N, origins, H]
            with np.errstate(all="ignore"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    qe = np.nanquantile(e, QUANTILES, axis=1)  # [Q, N, H]
            qe = np.nan_to_num(np.moveaxis(qe, 0, -1))
        else:  # too little history for an error distribution: a point mass
            qe = np.zeros((*point.shape, len(QUANTILES)))
        quant = point[..., None] + qe
        return finalize(point, quant, panel.ids, panel.dates[origin:origin + horizon])


class Naive(_PathBaseline):
    name = "naive"

    def point(self, y, horizon):
        return np.repeat(_last_obs(y)[:, None], horizon, axis=1)


class SeasonalNaive(_PathBaseline):
    """Repeat the last full season (7 days; for weekly data pass season=52)."""

    name = "seasonal_naive"

    def __init__(self, season: int = 7):
        self.season = season

    def point(self, y, horizon):
        m = self.season
        if y.shape[1] < m:
            return Naive().point(y, horizon)
        last = np.nan_to_num(y[:, -m:])
        return np.tile(last, (1, -(-horizon // m)))[:, :horizon]


class MovingAverage(_PathBaseline):
    name = "moving_average"

    def __init__(self, window: int = 28):
        self.window = window

    def point(self, y, horizon):
        w = y[:, -self.window:]
        with np.errstate(all="ignore"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                m = np.nan_to_num(np.nanmean(w, axis=1))
        return np.repeat(m[:, None], horizon, axis=1)


def croston_rate(y: np.ndarray, alpha: float = 0.1, variant: str = "croston", beta: float = 0.1) -> np.ndarray:
    """Rate per period after the last day of ``y`` ([N, T], NaN = not yet observed).

    croston: z/p with sizes z and inter-demand intervals p smoothed by ``alpha``;
    sba: (1 - alpha/2) z/p (Syntetos-Boylan bias correction);
    tsb: d*z with demand probability d smoothed every period by ``beta`` (decays when
    demand stops, which Croston cannot do).
    """
    n, t = y.shape
    z = np.full(n, np.nan)
    p = np.full(n, np.nan)
    d = np.full(n, np.nan)
    q = np.ones(n)  # periods since last demand
    for i in range(t):
        col = y[:, i]
        obs = ~np.isnan(col)
        pos = obs & (col > 0)
        first = pos & np.isnan(z)
        z[first] = col[first]
        p[first] = q[first]
        d[first] = 1.0 / q[first]
        upd = pos & ~first
        z[upd] += alpha * (col[upd] - z[upd])
        p[upd] += alpha * (q[upd] - p[upd])
        if variant == "tsb":
            dd = obs & ~np.isnan(d) & ~first
            d[dd] += beta * (pos[dd].astype(float) - d[dd])
        q = np.where(pos, 1.0, q + obs)
    z = np.nan_to_num(z)
    if variant == "tsb":
        return np.nan_to_num(d) * z
    rate = np.where(np.nan_to_num(p) > 0, z / np.where(p > 0, p, 1), 0.0)
    return rate * (1 - alpha / 2) if variant == "sba" else rate


def count_quantiles(mean: np.ndarray, var_ratio: np.ndarray, levels=QUANTILES) -> np.ndarray:
    """Negative-binomial quantiles with the given mean and variance/mean ratio
    (Poisson where the ratio is <= 1).  mean: [N, H]; var_ratio: [N]."""
    mean = np.maximum(mean, 1e-9)
    vr = np.broadcast_to(np.maximum(var_ratio, 1.0)[:, None], mean.shape)
    out = np.empty((*mean.shape, len(levels)))
    over = vr > 1.0 + 1e-6
    for j, lv in enumerate(levels):
        res = stats.poisson.ppf(lv, mean)
        if over.any():
            m = mean[over]
            var = m * vr[over]
            pr = m / var
            r = m * pr / (1 - pr)
            res[over] = stats.nbinom.ppf(lv, r, pr)
        out[..., j] = res
    return out


class _RateBaseline(Forecaster):
    variant = "croston"

    def __init__(self, alpha: float = 0.1, beta: float = 0.1, dispersion_window: int = 364):
        self.alpha, self.beta, self.dispersion_window = alpha, beta, dispersion_window

    def predict(self, panel, origin, horizon):
        y = _history(panel, origin)
        rate = croston_rate(y, self.alpha, self.variant, self.beta)
        mean = np.repeat(rate[:, None], horizon, axis=1)
        w = y[:, -self.dispersion_window:]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            m = np.nanmean(w, axis=1)
            v = np.nanvar(w, axis=1)
        ratio = np.where(m > 0, v / np.where(m > 0, m, 1), 1.0)
        quant = count_quantiles(mean, np.nan_to_num(ratio, nan=1.0))
        return finalize(mean, quant, panel.ids, panel.dates[origin:origin + horizon])


class Croston(_RateBaseline):
    name = "croston"
    variant = "croston"


class SBA(_RateBaseline):
    name = "sba"
    variant = "sba"


class TSB(_RateBaseline):
    name = "tsb"
    variant = "tsb"


def all_baselines(freq: str = "D") -> list[Forecaster]:
    season = 52 if freq == "W" else 7
    return [Naive(), SeasonalNaive(season), MovingAverage(28 if freq == "D" else 8), Croston(), SBA(), TSB()]
