"""Demand over the protection interval (lead time + review period) as Monte-Carlo samples.

One representation for every source of demand knowledge: quantile forecasts per future
period, an empirical history, or a Poisson rate. The lead time may be random (mean and
standard deviation, in periods); each sample draws its own lead time, rounded to whole
periods, and sums that many + the review period of per-period demands.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validation import (check_lead_time, check_nonnegative, check_review_period)


def _lead_time_draws(rng, lead_time, lead_time_std, n):
    if lead_time_std <= 0:
        return np.full(n, int(round(lead_time)), dtype=np.int64)
    return np.clip(np.rint(rng.normal(lead_time, lead_time_std, n)), 0, None).astype(np.int64)


def sample_from_quantiles(levels, values, u):
    """Inverse CDF by linear interpolation between forecast quantiles.

    ``levels`` (Q,) increasing in (0,1); ``values`` (..., Q) per row; ``u`` (..., n) uniforms.
    Beyond the outermost levels the first/last segment is extended linearly (a clamp would
    cut the tails that safety stock exists for) and the result floored at 0.
    """
    levels = np.asarray(levels, dtype=float)
    values = np.sort(np.asarray(values, dtype=float), axis=-1)  # repair quantile crossing
    idx = np.clip(np.searchsorted(levels, u) - 1, 0, len(levels) - 2)
    lo_l, hi_l = levels[idx], levels[idx + 1]
    lo_v = np.take_along_axis(values, idx, axis=-1)
    hi_v = np.take_along_axis(values, idx + 1, axis=-1)
    w = (u - lo_l) / (hi_l - lo_l)
    return np.maximum(lo_v + w * (hi_v - lo_v), 0.0)


@dataclass(frozen=True)
class LeadTimeDemand:
    """Samples of demand over lead time + review period (sorted, float)."""

    samples: np.ndarray
    source: str = "samples"
    # Periods of the protection interval the forecast did not cover and that were filled by
    # repeating its last period (0: the forecast covered the whole interval).
    extended_periods: int = 0
    # Where the samples are a conformal distribution (centre + scale x score): its centre and
    # scale, which the cost-tuned base-stock method orders from (policies/tuning.py); None otherwise.
    centre: float | None = None
    scale: float | None = None

    def __post_init__(self):
        s = np.sort(np.asarray(self.samples, dtype=float).ravel())
        if s.size == 0:
            raise ValueError("samples must not be empty")
        if np.any(s < 0) or not np.all(np.isfinite(s)):
            raise ValueError("samples must be finite and >= 0")
        object.__setattr__(self, "samples", s)
        object.__setattr__(self, "_tail", np.concatenate([np.cumsum(s[::-1])[::-1], [0.0]]))

    # --- construction -------------------------------------------------------------------
    @classmethod
    def from_quantile_forecast(cls, levels, values, lead_time, review_period=1,
                               lead_time_std=0.0, n_samples=4000, seed=0, beyond_horizon="repeat_last"):
        """``values`` (T, Q): quantiles of each future period's demand, period 1 first.

        Periods are treated as independent given the forecast (the forecast carries the
        level and seasonality; what remains is noise). The horizon-coverage rule: when the
        forecast is shorter than the longest protection interval drawn, ``beyond_horizon``
        says what happens: "repeat_last" extends it with its last period and records how many
        periods in ``extended_periods`` (callers say so to the planner); "error" refuses.
        """
        if beyond_horizon not in ("repeat_last", "error"):
            raise ValueError(f"beyond_horizon must be 'repeat_last' or 'error', got {beyond_horizon!r}")
        check_lead_time(lead_time, lead_time_std)
        check_review_period(review_period)
        values = np.atleast_2d(np.asarray(values, dtype=float))
        levels = np.asarray(levels, dtype=float)
        if values.shape[1] != levels.size or levels.size < 2:
            raise ValueError("values must have one column per quantile level (>= 2 levels)")
        if np.any(np.diff(levels) <= 0) or levels[0] <= 0 or levels[-1] >= 1:
            raise ValueError("levels must be increasing and strictly inside (0, 1)")
        rng = np.random.default_rng(seed)
        lt = _lead_time_draws(rng, lead_time, lead_time_std, n_samples)
        horizon = lt + int(review_period)
        T = int(horizon.max())
        short = max(T - values.shape[0], 0)
        if short and beyond_horizon == "error":
            raise ValueError(f"the forecast covers {values.shape[0]} period(s) but the protection interval "
                             f"(lead time + review period) needs up to {T}")
        if short:
            values = np.vstack([values, np.repeat(values[-1:], short, axis=0)])
        u = rng.random((n_samples, T))
        per_period = sample_from_quantiles(levels, values[:T][None, :, :].repeat(n_samples, 0),
                                           u[..., None])[..., 0]
        mask = np.arange(T)[None, :] < horizon[:, None]
        return cls((per_period * mask).sum(axis=1), source="quantile_forecast", extended_periods=short)

    @classmethod
    def from_history(cls, history, lead_time, review_period=1, lead_time_std=0.0,
                     n_samples=4000, seed=0):
        """Empirical: sums of contiguous windows of past demand (keeps autocorrelation);
        iid bootstrap of single periods when the history is shorter than the window."""
        check_lead_time(lead_time, lead_time_std)
        check_review_period(review_period)
        h = check_nonnegative("history", history).ravel()
        if h.size == 0:
            raise ValueError("history must contain at least one period")
        rng = np.random.default_rng(seed)
        horizon = _lead_time_draws(rng, lead_time, lead_time_std, n_samples) + int(review_period)
        csum = np.concatenate([[0.0], np.cumsum(h)])
        out = np.empty(n_samples)
        fits = horizon <= h.size
        if fits.any():
            starts = rng.integers(0, h.size - horizon[fits] + 1)
            out[fits] = csum[starts + horizon[fits]] - csum[starts]
        if (~fits).any():
            k = horizon[~fits]
            draws = rng.choice(h, size=(k.size, int(k.max())))
            out[~fits] = (draws * (np.arange(draws.shape[1])[None, :] < k[:, None])).sum(1)
        return cls(out, source="empirical_history")

    @classmethod
    def poisson(cls, mean_per_period, lead_time, review_period=1, lead_time_std=0.0,
                n_samples=20000, seed=0):
        check_nonnegative("mean_per_period", mean_per_period)
        check_lead_time(lead_time, lead_time_std)
        check_review_period(review_period)
        rng = np.random.default_rng(seed)
        horizon = _lead_time_draws(rng, lead_time, lead_time_std, n_samples) + int(review_period)
        return cls(rng.poisson(mean_per_period * horizon).astype(float), source="poisson")

    # --- statistics ---------------------------------------------------------------------
    @property
    def mean(self) -> float:
        return float(self.samples.mean())

    @property
    def std(self) -> float:
        return float(self.samples.std())

    def quantile(self, q) -> float:
        # "inverted_cdf": the smallest sample value with empirical CDF >= q (a feasible integer
        # stock level for integer demand, not an interpolated fraction).
        return float(np.quantile(self.samples, q, method="inverted_cdf"))

    def expected_shortage(self, level) -> np.ndarray:
        """E[(D - y)+] for each y in ``level`` (exact on the samples)."""
        y = np.asarray(level, dtype=float)
        k = np.searchsorted(self.samples, y, side="right")
        n = self.samples.size
        return (self._tail[k] - y * (n - k)) / n

    def expected_excess(self, level) -> np.ndarray:
        """E[(y - D)+] = y - E[D] + E[(D - y)+]."""
        y = np.asarray(level, dtype=float)
        return y - self.mean + self.expected_shortage(y)

    def expected_cost(self, level, holding_cost, shortage_cost) -> np.ndarray:
        return holding_cost * self.expected_excess(level) + shortage_cost * self.expected_shortage(level)

    def service_level(self, level) -> np.ndarray:
        """P(D <= y): the chance the interval ends without a stockout."""
        y = np.asarray(level, dtype=float)
        return np.searchsorted(self.samples, y, side="right") / self.samples.size
