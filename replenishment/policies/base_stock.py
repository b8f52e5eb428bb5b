"""Base-stock (order-up-to) policy at the critical fractile of lead-time + review demand."""
from __future__ import annotations

from .demand import LeadTimeDemand
from .newsvendor import critical_fractile
from .rounding import round_order
from .validation import check_nonnegative, check_probability


def base_stock_level(demand: LeadTimeDemand, holding_cost: float, shortage_cost: float,
                     service_level: float | None = None) -> float:
    """S = F^{-1}(p/(p+h)) of demand over lead time + review period.

    ``service_level`` (a no-stockout probability target) replaces the cost ratio when given.
    This is optimal for backorders with a fixed lead time; for lost sales it is the classic
    (slightly too high) heuristic.
    """
    if service_level is not None:
        q = check_probability("service_level", service_level)
    else:
        q = critical_fractile(holding_cost, shortage_cost)
    return demand.quantile(q)


def base_stock_order(level: float, on_hand: float, on_order: float, backorders: float = 0.0,
                     pack_size: int = 1, moq: int = 0) -> int:
    """Order max(0, S - inventory position), rounded to MOQ and packs.

    Inventory position = on hand + on order - backorders.
    """
    check_nonnegative("on_order", on_order)
    check_nonnegative("backorders", backorders)
    position = float(on_hand) + float(on_order) - float(backorders)
    return round_order(max(float(level) - position, 0.0), pack_size, moq)
