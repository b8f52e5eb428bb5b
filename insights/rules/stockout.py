"""Stock-out risk: P(demand over the supplier lead time > available + on order)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import DEFAULT_LEVELS, Assessment, RuleInputError, Severity, check_quantiles, sample_total

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


def assess_stockout(x: StockoutInput, *, probability: float = 0.2, critical_probability: float = 0.5,
                    critical_margin: float | None = None, draws: int = 2000, seed: int = 0) -> Assessment:
    """Fires when the stock-out probability reaches ``probability``.

    Severity is critical when the probability reaches ``critical_probability`` or the expected
    margin lost over the lead time reaches ``critical_margin`` (when set).
    """
    q, levels = check_quantiles(x.daily_quantiles, x.levels, "daily_quantiles")
    if x.lead_time_days is None or x.lead_time_days < 0:
        raise RuleInputError(f"lead_time_days must be >= 0, got {x.lead_time_days}")
    if not 0 < probability <= 1:
        raise RuleInputError(f"probability threshold must be in (0, 1], got {probability}")
    horizon = q.shape[0]
    rng = np.random.default_rng(seed + 1)
    lt = np.full(draws, float(x.lead_time_days))
    if x.lead_time_std_days and x.lead_time_std_days > 0:
        lt = lt + x.lead_time_std_days * rng.standard_normal(draws)
    days = np.clip(np.ceil(lt), 1, horizon).astype(int)
    truncated = bool(np.ceil(x.lead_time_days + 2 * (x.lead_time_std_days or 0)) > horizon)
    demand = sample_total(q, levels, days, seed=seed)
    position = float(max(x.available, 0) + max(x.on_order, 0))
    p = float(np.mean(demand > position))
    short = float(np.mean(np.clip(demand - position, 0, None)))
    margin_lost = short * max(float(x.unit_margin), 0.0)
    firing = p >= probability
    critical = p >= critical_probability or (critical_margin is not None and margin_lost >= critical_margin)
    evidence = {
        "probability": p, "threshold": probability, "available": x.available, "on_order": x.on_order,
        "lead_time_days": x.lead_time_days, "lead_time_std_days": x.lead_time_std_days,
        "demand_over_lead_time": {"p50": float(np.quantile(demand, 0.5)), "p90": float(np.quantile(demand, 0.9)),
                                  "mean": float(demand.mean())},
        "expected_units_short": round(short, 2), "expected_margin_lost": round(margin_lost, 2),
        "forecast_source": x.source, "lead_time_beyond_forecast_horizon": truncated,
    }
    message = (f"{p:.0%} chance of running out within the {x.lead_time_days:g}-day lead time: "
               f"{position:g} units available or on order against a median demand of "
               f"{evidence['demand_over_lead_time']['p50']:.0f}; expected margin lost {margin_lost:.2f}.")
    return Assessment(KIND, x.product_id, x.warehouse_id, firing,
                      Severity.CRITICAL if critical else Severity.WARNING, message, evidence,
                      money_at_stake=round(margin_lost, 2))
