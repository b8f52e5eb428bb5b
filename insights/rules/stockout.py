"""Stock-out risk: P(demand over the supplier lead time > available + on order)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import (DEFAULT_LEVELS, Assessment, RuleInputError, Severity, check_quantiles, draw_weights,
                   draws_over, totals_from_weights, totals_of)

KIND = "stockout_risk"


@dataclass
class StockoutInput:
    product_id: int
    warehouse_id: int
    available: float             # on hand minus reserved
    on_order: float              # outstanding units on open purchase orders
    lead_time_days: float        # supplier lead time, mean
    daily_quantiles: np.ndarray  # [H, Q] forecast quantiles from today
    unit_margin: float = 0.0     # price - unit cost: what a unit short loses
    lead_time_std_days: float = 0.0
    levels: tuple = DEFAULT_LEVELS
    source: str = "forecast"


CHUNK = 2048  # series per matrix product: [draws, CHUNK] totals are 32 MB at 2,000 draws


def assess_stockout(x: StockoutInput, *, probability: float = 0.2, critical_probability: float = 0.5,
                    critical_margin: float | None = None, draws: int = 2000, seed: int = 0) -> Assessment:
    """Fires when the stock-out probability reaches ``probability``.

    Severity is critical when the probability reaches ``critical_probability`` or the expected
    margin lost over the lead time reaches ``critical_margin`` (when set).
    """
    return assess_stockouts([x], probability=probability, critical_probability=critical_probability,
                            critical_margin=critical_margin, draws=draws, seed=seed)[0]


def assess_stockouts(xs: list[StockoutInput], *, probability=0.2, critical_probability=0.5, critical_margin=None,
                     draws: int = 2000, seed: int = 0) -> list[Assessment]:
    """assess_stockout of many subjects at once; each threshold is one number or one per subject.

    Subjects with the same lead time (mean and spread), forecast horizon and quantile levels
    share one set of draws (rules.base.draws_over: common random numbers), so their totals
    are one matrix product. Each subject's estimate is as good as with draws of its own; the
    errors of two subjects are alike, which keeps their ranking fair.
    """
    n = len(xs)
    probability, critical_probability, critical_margin = (
        _per_subject(v, n, name) for v, name in ((probability, "probability"),
                                                 (critical_probability, "critical_probability"),
                                                 (critical_margin, "critical_margin")))
    for x, limit in zip(xs, probability):
        if x.lead_time_days is None or x.lead_time_days < 0:
            raise RuleInputError(f"lead_time_days must be >= 0, got {x.lead_time_days} "
                                 f"(product {x.product_id}, warehouse {x.warehouse_id})")
        if not 0 < limit <= 1:
            raise RuleInputError(f"probability threshold must be in (0, 1], got {limit}")
    tables = [check_quantiles(x.daily_quantiles, x.levels, "daily_quantiles") for x in xs]
    groups: dict[tuple, list[int]] = {}
    for i, (x, (q, levels)) in enumerate(zip(xs, tables)):
        key = (float(x.lead_time_days), float(x.lead_time_std_days or 0), q.shape[0], tuple(levels))
        groups.setdefault(key, []).append(i)
    out: list[Assessment | None] = [None] * n
    for (mean, std, horizon, levels), members in groups.items():
        rng = np.random.default_rng(seed + 1)
        lt = np.full(draws, mean)
        if std > 0:
            lt = lt + std * rng.standard_normal(draws)
        days = np.clip(np.ceil(lt), 1, horizon).astype(int)
        drawn = draws_over(levels, days, horizon, seed=seed)
        # One series alone is cheaper by its own draws than through a weight matrix.
        weights = draw_weights(drawn, len(levels)) if len(members) > 1 else None
        truncated = bool(np.ceil(mean + 2 * std) > horizon)
        for at in range(0, len(members), CHUNK):
            chunk = members[at:at + CHUNK]
            demand = totals_from_weights(weights, np.stack([tables[i][0] for i in chunk])) if weights is not None \
                else totals_of(drawn, tables[chunk[0]][0])[:, None]
            position = np.array([max(xs[i].available, 0) + max(xs[i].on_order, 0) for i in chunk], float)
            p = (demand > position).mean(axis=0)
            short = np.clip(demand - position, 0, None).mean(axis=0)
            p50, p90 = np.quantile(demand, [0.5, 0.9], axis=0)
            mean_demand = demand.mean(axis=0)
            for c, i in enumerate(chunk):
                out[i] = _assessment(xs[i], float(position[c]), float(p[c]), float(short[c]),
                                     {"p50": float(p50[c]), "p90": float(p90[c]), "mean": float(mean_demand[c])},
                                     truncated, probability[i], critical_probability[i], critical_margin[i])
    return out


def _per_subject(value, n: int, name: str) -> list:
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != n:
            raise RuleInputError(f"{name}: {len(value)} thresholds for {n} subjects")
        return list(value)
    return [value] * n


def _assessment(x: StockoutInput, position: float, p: float, short: float, demand: dict, truncated: bool,
                probability: float, critical_probability: float, critical_margin: float | None) -> Assessment:
    margin_lost = short * max(float(x.unit_margin), 0.0)
    firing = p >= probability
    critical = p >= critical_probability or (critical_margin is not None and margin_lost >= critical_margin)
    evidence = {
        "probability": p, "threshold": probability, "available": x.available, "on_order": x.on_order,
        "lead_time_days": x.lead_time_days, "lead_time_std_days": x.lead_time_std_days,
        "demand_over_lead_time": demand,
        "expected_units_short": round(short, 2), "expected_margin_lost": round(margin_lost, 2),
        "forecast_source": x.source, "lead_time_beyond_forecast_horizon": truncated,
    }
    message = (f"{p:.0%} chance of running out within the {x.lead_time_days:g}-day lead time: "
               f"{position:g} units available or on order against a median demand of "
               f"{demand['p50']:.0f}; expected margin lost {margin_lost:.2f}.")
    return Assessment(KIND, x.product_id, x.warehouse_id, firing,
                      Severity.CRITICAL if critical else Severity.WARNING, message, evidence,
                      money_at_stake=round(margin_lost, 2))
