"""The demand over a decision's protection interval (lead time + review period), as a sample
of its distribution: from the current forecast, calibrated on the run's holdout where it can be,
else from the sales history; and the moving-average method's own. ``decisions`` orders from it;
the learned policy's training (``learned.train_catalogue_policy``) spans its statistics, so that
the network is trained on what it is fed.
"""
from __future__ import annotations

import numpy as np

from forecasting.ml import sum_calibration

from .models import ReorderSuggestion
from .policies import LeadTimeDemand
from .policies.tuning import moment_matched

N_SAMPLES = 4000
MA_PERIODS = 8          # review periods the moving-average method averages over


def calibrated_forecast_demand(fc, daily_history, lead_days, lead_std, review_days, seed) -> LeadTimeDemand | None:
    """Interval demand as the run's conformal predictive distribution: centre (the forecast's
    expected sum) + scale (the pair's own spread) x a score drawn from the run's holdout scores
    (forecasting/ml/sum_calibration.py); each sample draws its own lead time. None when the run
    has no calibration (an older run, a too-short history)."""
    rng = np.random.default_rng(seed)
    days = np.clip(np.rint(rng.normal(lead_days, lead_std, N_SAMPLES)) if lead_std > 0 else
                   np.full(N_SAMPLES, round(lead_days)), 0, None).astype(int) + review_days
    table = sum_calibration.score_quantiles(fc.calibration, int(np.median(days)), fc.demand_class)
    if table is None:
        return None
    means = fc.mean if fc.mean.size >= days.max() else np.concatenate(
        [fc.mean, np.repeat(fc.mean[-1:], days.max() - fc.mean.size)])
    centre = np.concatenate([[0.0], np.cumsum(np.maximum(means, 0))])[days]
    spread = sum_calibration.daily_spread(daily_history[None, :])[0] if daily_history is not None else 0.0
    scale = sum_calibration.scale_from(spread, days, centre)
    levels, q = table
    scores = np.interp(rng.random(N_SAMPLES), levels, q)
    # one centre and scale over the lead-time draws, as the replay matches them (policies/tuning.py)
    mid, spread_ = moment_matched(centre, scale)
    return LeadTimeDemand(sum_calibration.interval_values(centre, scale, scores), source="calibrated_forecast",
                          extended_periods=max(int(days.max()) - fc.mean.size, 0),
                          centre=float(mid), scale=float(spread_))


def protection_demand(pair, costs, lead_days, lead_std, history, forecasts, seed):
    """Demand over lead time + review period from the current forecast (calibrated on the run's
    holdout where it can be), else from the sales history (out-of-stock days left out);
    (None, None) when there is neither."""
    if pair.key in forecasts:
        fc = forecasts[pair.key]
        calibrated = calibrated_forecast_demand(fc, history.get(pair.key), lead_days, lead_std, costs.review_days, seed)
        if calibrated is not None:
            return calibrated, ReorderSuggestion.DemandSource.FORECAST
        return LeadTimeDemand.from_quantile_forecast(fc.levels, fc.quantiles, round(lead_days), costs.review_days,
                                                     lead_std, N_SAMPLES, seed), ReorderSuggestion.DemandSource.FORECAST
    hist = history.get(pair.key)
    hist = hist[~np.isnan(hist)] if hist is not None else np.zeros(0)
    if hist.size == 0:
        return None, None
    return LeadTimeDemand.from_history(hist, round(lead_days), costs.review_days, lead_std, N_SAMPLES, seed), \
        ReorderSuggestion.DemandSource.HISTORY


def review_period_sums(daily: np.ndarray, review_days: int, count: int) -> np.ndarray:
    """Units sold per review period over the last ``count`` periods (a period holding an
    out-of-stock day is NaN: its sales say nothing about demand)."""
    n = min(count, daily.size // review_days)
    if n == 0:
        return np.zeros(0)
    tail = daily[daily.size - n * review_days:].reshape(n, review_days)
    return tail.sum(1)


def moving_average_demand(daily, lead_days, review_days, seed) -> LeadTimeDemand | None:
    """Protection-interval demand as the normal approximation of the last 8 review periods'
    mean and standard deviation (what the moving-average method orders up to)."""
    per = review_period_sums(daily, review_days, MA_PERIODS)
    per = per[~np.isnan(per)]
    if per.size == 0:
        return None
    periods = (round(lead_days) + review_days) / review_days
    mean, std = per.mean() * periods, (per.std(ddof=1) if per.size > 1 else 0.0) * np.sqrt(periods)
    rng = np.random.default_rng(seed)
    return LeadTimeDemand(np.maximum(rng.normal(mean, std, N_SAMPLES), 0), source="moving_average")
