"""What a replayed decision of base-stock or the learned policy knew of demand: the forecast in
force that day, calibrated as a live decision calibrates it.

A live decision (``decision_demand.calibrated_forecast_demand``) reads the current run's daily means
from the day after it decides, sums them over the protection interval (the forecast's last day
repeated past its end), and spreads the sum as a conformal predictive distribution: centre +
the pair's own spread x the run's holdout scores for that interval length and demand class
(forecasting/ml/sum_calibration.py). The replay does the same at each past decision with the
forecast of the run in force then (forecasting/in_force.py), mixed over the supplier's lead-time
spread as a live decision draws a lead time per sample: base-stock orders up to that
distribution's quantile at the pair's fractile, and the learned policy is fed its mean and
spread per period. A decision with no run in force, no calibration or a pair the run did not
forecast keeps the sales-history demand, and the replay counts how many did.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import NormalDist

import numpy as np

from forecasting.in_force import forecasts_in_force
from forecasting.ml import sum_calibration

from .policies.tuning import moment_matched

# A live decision draws a lead time per sample (decision_demand.calibrated_forecast_demand); a
# replayed one mixes its distribution over this many evenly spaced quantiles of the lead time
LEAD_DRAWS = 21


@dataclass
class ForecastDemand:
    """Per pair and decision (N, P): NaN where the decision had no calibrated forecast."""

    level: np.ndarray      # order-up-to level at the pair's fractile
    mean: np.ndarray       # the learned policy's demand per period
    cv: np.ndarray
    centre: np.ndarray     # the interval distribution's centre and scale (the cost-tuned method's,
    scale: np.ndarray      # matched over the lead-time draws: policies/tuning.moment_matched)
    runs: list = field(default_factory=list)

    @property
    def decided(self) -> int:
        return int((~np.isnan(self.level)).sum())


def _spread_before(daily: dict, keys, as_of: date, day: date) -> np.ndarray:
    """(N,) each pair's daily spread over the SCALE_WINDOW days up to ``day``."""
    window = np.full((len(keys), sum_calibration.SCALE_WINDOW), np.nan)
    back = (as_of - day).days
    for i, key in enumerate(keys):
        series = np.asarray(daily.get(key, ()), float)
        series = series[:max(series.size - back, 0)][-sum_calibration.SCALE_WINDOW:]   # none before its first record
        if series.size:
            window[i, -series.size:] = series
    return sum_calibration.daily_spread(window)


def interval_days(span, lead_std_days, review_days: int) -> np.ndarray:
    """(N, S) protection-interval lengths in days: ``span`` (N,) plus the lead time's normal spread
    ``lead_std_days`` (N,) at LEAD_DRAWS evenly spaced quantiles, rounded to days, at least the
    review period (a lead time cut at 0, as a live decision cuts its draws)."""
    z = np.array([NormalDist().inv_cdf((s + 0.5) / LEAD_DRAWS) for s in range(LEAD_DRAWS)])
    span, std = np.asarray(span, float), np.asarray(lead_std_days, float)
    return np.maximum(np.rint(span[:, None] + std[:, None] * z[None, :]), review_days).astype(int)


def forecast_demand(keys, daily: dict, as_of: date, days_per_period: int, decision_days: list[date],
                    interval_periods, fractile, log=None, lead_std_days=None) -> ForecastDemand:
    """The calibrated forecast demand of ``keys`` at each decision day. ``daily``: {key: daily
    demand up to ``as_of``, NaN out of stock}; ``interval_periods`` (N,): lead time + 1 review, in
    replay periods (the review period is one); ``fractile`` (N,); ``lead_std_days`` (N,, default 0):
    the lead time's standard deviation, over whose spread a pair's distribution is mixed, as a live
    decision draws a lead time per sample."""
    # imported here: replenishment.rl imports torch (seconds), which the web processes that import
    # the replay's module for its page never need
    from .rl.observation import per_period_demand

    N, P = len(keys), len(decision_days)
    out = ForecastDemand(*(np.full((N, P), np.nan) for _ in range(5)))
    span = np.asarray(interval_periods, int) * days_per_period          # the protection interval in days
    std = np.zeros(N) if lead_std_days is None else np.asarray(lead_std_days, float)
    days = interval_days(span, std, days_per_period)                   # (N, S)
    uncertain = std > 0
    in_force = forecasts_in_force(keys, decision_days, log)
    for t, day in enumerate(decision_days):
        f = in_force[day]
        if f is None or not f.calibration:
            continue
        means = f.from_day(day)
        longest = max(int(days.max()), int(span.max()))
        if means.shape[1] < longest:   # past the forecast's end: its last day again, as live
            means = np.concatenate([means, np.repeat(means[:, -1:], longest - means.shape[1], axis=1)], axis=1)
        cumulative = np.concatenate([np.zeros((N, 1)), np.cumsum(np.maximum(means, 0), axis=1)], axis=1)
        centre = cumulative[np.arange(N), span]
        table = sum_calibration.score_table(f.calibration, span, f.classes)
        ok = ~np.isnan(centre)
        if table is None or not ok.any():
            continue
        levels, scores = table
        spread = _spread_before(daily, keys, as_of, day)
        scale = sum_calibration.scale_from(spread, span, np.nan_to_num(centre))
        values = sum_calibration.interval_values(centre, scale, scores)               # (N, Q), rising in Q
        level = np.array([np.interp(q, levels, v) for q, v in zip(np.asarray(fractile, float), values)])
        mean, sd = values.mean(1), values.std(1)
        mid, wide = centre.copy(), scale.copy()
        if uncertain.any():
            # the same distribution at each lead-time draw, mixed with equal weights: (n, S x Q) samples
            rows = np.flatnonzero(uncertain)
            c_s = np.take_along_axis(cumulative[rows], days[rows], axis=1)
            s_s = sum_calibration.scale_from(spread[rows, None], days[rows], np.nan_to_num(c_s))
            mixed = sum_calibration.interval_values(c_s[:, :, None], s_s[:, :, None],
                                                    scores[rows, None, :]).reshape(rows.size, -1)
            level[rows] = [np.quantile(v, q) for v, q in zip(mixed, np.asarray(fractile, float)[rows])]
            mean[rows], sd[rows] = mixed.mean(1), mixed.std(1)
            mid[rows], wide[rows] = moment_matched(c_s, s_s)
        m, cv = per_period_demand(mean, sd, np.asarray(interval_periods) - 1, 1)
        out.level[ok, t], out.mean[ok, t], out.cv[ok, t] = level[ok], m[ok], cv[ok]
        out.centre[ok, t], out.scale[ok, t] = mid[ok], wide[ok]
        if f.run_id not in out.runs:
            out.runs.append(f.run_id)
    return out


def decision_days(as_of: date, days_per_period: int, n_periods: int, first_col: int, last_col: int) -> list[date]:
    """The last day of each replayed decision's period (columns ``first_col..last_col`` of a period
    matrix of ``n_periods`` ending at ``as_of``)."""
    return [as_of - timedelta(days=(n_periods - 1 - c) * days_per_period) for c in range(first_col, last_col + 1)]
