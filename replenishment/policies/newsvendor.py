"""Newsvendor: one order against one uncertain demand."""
from __future__ import annotations

from .demand import LeadTimeDemand
from .rounding import round_order
from .validation import check_costs


def critical_fractile(holding_cost: float, shortage_cost: float) -> float:
    """p / (p + h): the stock level's optimal no-stockout probability."""
    check_costs(holding_cost, shortage_cost)
    return float(shortage_cost) / (float(shortage_cost) + float(holding_cost))


def newsvendor_quantity(demand: LeadTimeDemand, holding_cost: float, shortage_cost: float,
                        on_hand: float = 0.0, pack_size: int = 1, moq: int = 0) -> int:
    """Order that brings stock to the critical-fractile quantile of ``demand``."""
    target = demand.quantile(critical_fractile(holding_cost, shortage_cost))
    return round_order(max(target - on_hand, 0.0), pack_size, moq)
