"""Overstock: days of cover beyond a threshold, or stock that will outlive its shelf life."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Assessment, RuleInputError, Severity

KIND = "overstock"


@dataclass
class OverstockInput:
    product_id: int
    warehouse_id: int
    on_hand: float
    daily_demand: np.ndarray       # expected units per day from today (forecast mean or median)
    unit_cost: float = 0.0
    shelf_life_days: int | None = None
    source: str = "forecast"


def _days_to_sell(stock: float, daily: np.ndarray) -> float:
    """Days until cumulative expected demand reaches ``stock``; beyond the horizon, at its mean rate."""
    cum = np.cumsum(daily)
    if stock <= 0:
        return 0.0
    if len(cum) and cum[-1] >= stock:
        return float(np.searchsorted(cum, stock) + 1)
    rate = float(daily.mean()) if len(daily) else 0.0
    if rate <= 0:
        return float("inf")
    return len(daily) + (stock - (cum[-1] if len(cum) else 0.0)) / rate


def assess_overstock(x: OverstockInput, *, max_days_cover: float = 90.0, min_value: float = 0.0,
                     critical_value: float | None = None) -> Assessment:
    """Fires when days of cover exceed ``max_days_cover`` or units will expire unsold.

    Expiry is judged from today (no batch ages are kept), so it is a lower bound on waste.
    ``min_value`` keeps trivial amounts quiet.
    """
    daily = np.clip(np.nan_to_num(np.asarray(x.daily_demand, float)), 0, None)
    if daily.ndim != 1 or len(daily) == 0:
        raise RuleInputError(f"daily_demand must be a non-empty 1-D array, got shape {daily.shape}")
    if max_days_cover <= 0:
        raise RuleInputError(f"max_days_cover must be > 0, got {max_days_cover}")
    stock = max(float(x.on_hand), 0.0)
    cover = _days_to_sell(stock, daily)
    rate = float(daily.mean())
    excess_cover_units = max(stock - rate * max_days_cover, 0.0) if np.isfinite(cover) else stock
    expiring = 0.0
    if x.shelf_life_days:
        horizon = int(x.shelf_life_days)
        sold = daily[:horizon].sum() + max(horizon - len(daily), 0) * rate
        expiring = max(stock - sold, 0.0)
    units = max(excess_cover_units if cover > max_days_cover else 0.0, expiring)
    value = units * max(float(x.unit_cost), 0.0)
    firing = stock > 0 and units > 0 and value >= min_value
    reasons = []
    if cover > max_days_cover:
        reasons.append(f"{'no expected demand' if not np.isfinite(cover) else f'{cover:.0f} days of cover'} "
                       f"(limit {max_days_cover:g})")
    if expiring > 0:
        reasons.append(f"{expiring:.0f} units will outlive the {x.shelf_life_days}-day shelf life")
    evidence = {"on_hand": stock, "days_of_cover": None if not np.isfinite(cover) else round(cover, 1),
                "max_days_cover": max_days_cover, "expected_daily_demand": round(rate, 3),
                "excess_units": round(units, 1), "expiring_units": round(expiring, 1),
                "excess_value": round(value, 2), "shelf_life_days": x.shelf_life_days, "forecast_source": x.source}
    message = f"Overstock: {'; '.join(reasons) or 'within limits'}; excess value {value:.2f}."
    severity = Severity.CRITICAL if (critical_value is not None and value >= critical_value) or expiring > 0 \
        else Severity.WARNING
    return Assessment(KIND, x.product_id, x.warehouse_id, bool(firing), severity, message, evidence,
                      money_at_stake=round(value, 2))
