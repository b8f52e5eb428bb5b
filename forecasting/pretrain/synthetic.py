"""Generated demand with known structure: the part of the pretraining corpus that covers what
real catalogues do and the three shared data sets do not (issue #17).

Every series is daily demand drawn from a negative binomial whose mean is a product of known
parts, then censored where the shelf was empty; weekly series are the same days summed by
week. The parts, and the range each parameter is drawn from (``Ranges``, uniform unless said):

- **level**: mean units per day, log-uniform in ``level``;
- **demand pattern**: an occurrence probability per day (1 for smooth demand, down to
  ``occurrence[0]`` for intermittent) and a negative-binomial dispersion (the size of a day's
  demand given it occurs: ``dispersion``, larger is closer to Poisson; lumpy demand is
  intermittent *and* over-dispersed). The four Syntetos-Boylan classes arise from these two
  draws and the level; ``category`` is the class each series turned out to be;
- **trend**: a log-linear slope per year in ``trend_per_year`` (a third of series have none);
- **level shifts**: a Poisson number (mean ``shifts``) of permanent multiplicative steps in
  ``shift_factor``;
- **weekly season**: seven log factors of amplitude ``weekly`` (daily series only; weekly
  series see it summed away, as real ones do);
- **yearly season**: two Fourier harmonics of amplitude ``yearly``;
- **launch and phase-out**: ``launch_share`` of series start inside the grid (nothing is known
  before: NaN) and ramp up over ``ramp_days``; ``phase_out_share`` decline to nothing over
  their last ``ramp_days`` and stay at zero;
- **price**: a base price log-uniform in ``price``, permanent changes (mean ``price_changes``
  a year, by ``price_step``), demand scaled by (price / base) ** elasticity, elasticity in
  ``elasticity``;
- **promotions**: episodes (mean ``promos_per_year`` a year, ``promo_days`` long) at a discount
  in ``discount`` (the price drops, elasticity acts) with an extra lift in ``promo_lift``, then
  a dip of ``dip_days`` at ``dip_factor`` (customers stocked up);
- **calendar events**: days shared by every series of the panel (about ``events_per_year``),
  each series reacting by a factor in ``event_effect``;
- **stock-outs**: episodes (mean ``stockouts_per_year``, ``stockout_days`` long) where the day's
  sales say nothing about demand: ``y`` is NaN there, as the product's own panel marks
  recorded stock-outs (forecasting.history), and ``extra["stockout"]`` flags them.

``extra["params"]`` keeps every series' drawn parameters, so tests and ablations can check what
was generated against what a model recovers. Seeded: the same arguments give the same panel.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from forecasting.ml.classify import classify
from forecasting.ml.data import DataError, Panel

MAX_DAYS = 3_660  # ten years of days
MAX_CELLS = 20_000_000  # series x days of one call: a dozen float64 arrays of that size are ~2 GB


@dataclass(frozen=True)
class Ranges:
    level: tuple = (0.02, 300.0)
    occurrence: tuple = (0.05, 1.0)
    dispersion: tuple = (0.3, 20.0)
    trend_per_year: tuple = (-0.8, 0.8)
    shifts: float = 0.6
    shift_factor: tuple = (0.5, 2.0)
    weekly: tuple = (0.0, 0.6)
    yearly: tuple = (0.0, 0.5)
    launch_share: float = 0.3
    phase_out_share: float = 0.15
    ramp_days: tuple = (7, 60)
    price: tuple = (0.5, 80.0)
    price_changes: float = 1.0
    price_step: tuple = (0.85, 1.2)
    elasticity: tuple = (-3.0, -0.3)
    promos_per_year: tuple = (0.0, 10.0)
    promo_days: tuple = (3, 14)
    discount: tuple = (0.1, 0.4)
    promo_lift: tuple = (1.0, 2.5)
    dip_days: tuple = (0, 14)
    dip_factor: tuple = (0.6, 1.0)
    events_per_year: float = 12.0
    event_effect: tuple = (0.5, 2.0)
    stockouts_per_year: tuple = (0.0, 6.0)
    stockout_days: tuple = (1, 10)
    # The long tail (the weekly corpus's ranges, ``LONG_TAIL``, set these): the occurrence drawn
    # log-uniform instead of uniform, phase-outs from this fraction of the grid on, and launched
    # products that may be phased out too (sold for a few weeks, then never again).
    occurrence_draw: str = "uniform"
    phase_out_from: float = 0.6
    launched_retire: bool = False


# An e-commerce catalogue by week (Online Retail's shape, and any gift or fashion shop's): most
# products sell in few weeks (a day's occurrence down to 1 in 500, log-uniform, so slow movers
# are as common as fast ones), and many stop selling for good, some weeks after their launch.
# The daily corpus keeps the defaults, which are what the shipped daily checkpoint was trained on.
LONG_TAIL = Ranges(occurrence=(0.002, 1.0), occurrence_draw="log", phase_out_share=0.35, phase_out_from=0.1,
                   launched_retire=True)


def generate(n_series: int, n_days: int, *, freq: str = "D", seed: int = 0, start: str = "2019-01-07",
             ranges: Ranges = Ranges()) -> Panel:
    """A panel of ``n_series`` generated series over ``n_days`` days (``freq`` "W": the same days
    summed by week, ``n_days // 7`` weeks)."""
    if n_series < 1:
        raise DataError(f"n_series must be at least 1, got {n_series}")
    if not 28 <= n_days <= MAX_DAYS:
        raise DataError(f"n_days must be in [28, {MAX_DAYS:,}], got {n_days}")
    if n_series * n_days > MAX_CELLS:
        raise DataError(f"n_series x n_days is {n_series * n_days:,}, more than {MAX_CELLS:,}: generate in parts "
                        "(another seed each)")
    if freq not in ("D", "W"):
        raise DataError(f"freq must be 'D' or 'W', got {freq!r}")
    rng = np.random.default_rng(seed)
    r = ranges
    t = np.arange(n_days)
    dates = pd.date_range(start, periods=n_days, freq="D")
    years = t / 365.25

    def uniform(bounds, size=n_series):
        return rng.uniform(bounds[0], bounds[1], size)

    def log_uniform(bounds, size=n_series):
        return np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]), size))

    level = log_uniform(r.level)
    if r.occurrence_draw not in ("uniform", "log"):
        raise DataError(f"ranges.occurrence_draw must be 'uniform' or 'log', got {r.occurrence_draw!r}")
    draw = log_uniform if r.occurrence_draw == "log" else uniform
    occurrence = np.where(rng.random(n_series) < 0.5, 1.0, draw(r.occurrence))
    dispersion = log_uniform(r.dispersion)
    trend = np.where(rng.random(n_series) < 1 / 3, 0.0, uniform(r.trend_per_year))
    log_mean = np.log(level)[:, None] + trend[:, None] * years[None, :]

    # permanent level shifts at random days
    shift_counts = rng.poisson(r.shifts, n_series)
    for i in np.flatnonzero(shift_counts):
        for day in rng.integers(1, n_days, shift_counts[i]):
            log_mean[i, day:] += np.log(rng.uniform(*r.shift_factor))

    weekly_amp = uniform(r.weekly)
    weekly = rng.standard_normal((n_series, 7))
    weekly -= weekly.mean(axis=1, keepdims=True)
    log_mean += (weekly_amp[:, None] * weekly)[:, dates.dayofweek.to_numpy()]
    yearly_amp = uniform(r.yearly)
    phase = rng.uniform(0, 2 * np.pi, (n_series, 2))
    angle = 2 * np.pi * years
    log_mean += yearly_amp[:, None] * (np.sin(angle[None, :] + phase[:, :1])
                                       + 0.5 * np.sin(2 * angle[None, :] + phase[:, 1:]))

    # calendar events: shared days, each series its own reaction
    event = np.zeros(n_days, np.float32)
    event[rng.choice(n_days, max(int(r.events_per_year * n_days / 365.25), 1), replace=False)] = 1
    log_mean += np.log(uniform(r.event_effect))[:, None] * event[None, :]

    # price, promotions and what follows them
    base_price = log_uniform(r.price)
    price = np.repeat(base_price[:, None], n_days, axis=1)
    for i in range(n_series):
        for day in np.sort(rng.integers(1, n_days, rng.poisson(r.price_changes * n_days / 365.25))):
            price[i, day:] *= rng.uniform(*r.price_step)
    elasticity = uniform(r.elasticity)
    promo = np.zeros((n_series, n_days), np.float32)
    multiplier = np.ones((n_series, n_days))
    promo_rate = uniform(r.promos_per_year)
    shelf_price = price.copy()
    for i in range(n_series):
        for day in rng.integers(0, n_days, rng.poisson(promo_rate[i] * n_days / 365.25)):
            length = int(rng.integers(r.promo_days[0], r.promo_days[1] + 1))
            end = min(day + length, n_days)
            price[i, day:end] = shelf_price[i, day:end] * (1 - rng.uniform(*r.discount))
            promo[i, day:end] = 1
            multiplier[i, day:end] *= rng.uniform(*r.promo_lift)
            dip = int(rng.integers(r.dip_days[0], r.dip_days[1] + 1))
            multiplier[i, end:end + dip] *= rng.uniform(*r.dip_factor)
    log_mean += elasticity[:, None] * np.log(price / base_price[:, None]) + np.log(multiplier)

    # launches and phase-outs
    alive = np.ones((n_series, n_days))
    first = np.zeros(n_series, np.int64)
    launched = rng.random(n_series) < r.launch_share
    first[launched] = rng.integers(0, int(0.6 * n_days), launched.sum())
    ramp = rng.integers(r.ramp_days[0], r.ramp_days[1] + 1, n_series)
    since = t[None, :] - first[:, None]
    alive *= np.where(launched[:, None], np.clip((since + 1) / ramp[:, None], 0, 1), 1.0)
    retired = rng.random(n_series) < r.phase_out_share
    if not r.launched_retire:
        retired &= ~launched
    last = np.full(n_series, n_days, np.int64)
    last[retired] = rng.integers(int(r.phase_out_from * n_days), n_days - 1, retired.sum())
    if r.launched_retire:  # a launched product is phased out after its launch and ramp, never before
        last = np.where(retired, np.minimum(np.maximum(last, first + ramp + 1), n_days - 1), last)
    until = last[:, None] - t[None, :]
    alive *= np.where(retired[:, None], np.clip(until / ramp[:, None], 0, 1), 1.0)

    mean = np.exp(log_mean) * alive / occurrence[:, None]  # the mean given a day with demand
    size = dispersion[:, None]
    units = rng.negative_binomial(size, size / (size + np.maximum(mean, 1e-9)))
    units = np.where(rng.random((n_series, n_days)) < occurrence[:, None], units, 0).astype(np.float32)
    y = units
    y[since < 0] = np.nan  # before a launch nothing is known

    stockout = np.zeros((n_series, n_days), bool)
    stockout_rate = uniform(r.stockouts_per_year)
    for i in range(n_series):
        for day in rng.integers(0, n_days, rng.poisson(stockout_rate[i] * n_days / 365.25)):
            stockout[i, day:day + int(rng.integers(r.stockout_days[0], r.stockout_days[1] + 1))] = True
    stockout &= since >= 0
    y[stockout] = np.nan

    params = {"level": level, "occurrence": occurrence, "dispersion": dispersion, "trend_per_year": trend,
              "weekly_amplitude": weekly_amp, "weekly_factors": weekly_amp[:, None] * weekly,
              "yearly_amplitude": yearly_amp, "elasticity": elasticity,
              "base_price": base_price, "first_day": first, "last_day": np.where(retired, last, -1),
              "promos_per_year": promo_rate, "stockouts_per_year": stockout_rate}
    ids = np.array([f"gen-{seed}-{i}" for i in range(n_series)], dtype=object)
    # The class the series turned out to be (forecasting.ml.classify), not the one aimed at: a
    # smooth pattern at 0.05 units a day is intermittent demand.
    category = classify(y, window=None)
    panel = Panel(ids, dates, "D", y, price.astype(np.float32), promo, np.repeat(event[None, :], n_series, axis=0),
                  np.zeros((n_series, n_days), np.float32), category,
                  np.array([f"generated {c} demand" for c in category], dtype=object), n_obs=n_days,
                  extra={"stockout": stockout, "params": params, "ranges": asdict(r)})
    return _weekly(panel) if freq == "W" else panel


def _weekly(panel: Panel) -> Panel:
    """Whole weeks of the daily panel summed; a week with an unknown day (before a launch, a
    stock-out) is unknown: its sum would understate demand."""
    n_weeks = panel.n_days // 7
    days = n_weeks * 7

    def by_week(a, how):
        return getattr(a[:, :days].reshape(panel.n_series, n_weeks, 7), how)(axis=2)

    y = panel.y[:, :days].reshape(panel.n_series, n_weeks, 7).sum(axis=2)  # NaN if any day is NaN
    stockout = by_week(panel.extra["stockout"], "any")
    return Panel(panel.ids, panel.dates[:days:7], "W", y.astype(np.float32), by_week(panel.price, "mean"),
                 by_week(panel.promo, "max"), by_week(panel.event, "max"), by_week(panel.snap, "max"),
                 panel.category, panel.description, n_obs=n_weeks,
                 extra={**panel.extra, "stockout": stockout})
