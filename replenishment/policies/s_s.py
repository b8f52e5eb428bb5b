"""(s, S) policy: when the inventory position drops to s or below, order up to S.

Heuristic levels: s is the base-stock level of lead-time + review demand (the protection
an order must give), S = s + the economic order quantity (the batch that balances the fixed
ordering cost against holding). With no fixed ordering cost it collapses to base-stock.
"""
from __future__ import annotations

from dataclasses import dataclass

from .base_stock import base_stock_level
from .demand import LeadTimeDemand
from .rounding import round_order
from .rq import eoq
from .validation import check_nonnegative


@dataclass(frozen=True)
class SsPolicy:
    s: float
    S: float

    def __post_init__(self):
        if self.S < self.s:
            raise ValueError(f"S must be >= s, got s={self.s}, S={self.S}")


def s_s_levels(demand: LeadTimeDemand, mean_demand_per_period: float, holding_cost: float,
               shortage_cost: float, ordering_cost: float = 0.0,
               service_level: float | None = None) -> SsPolicy:
    check_nonnegative("ordering_cost", ordering_cost)
    s = base_stock_level(demand, holding_cost, shortage_cost, service_level)
    batch = eoq(mean_demand_per_period, ordering_cost, holding_cost) if ordering_cost > 0 else 0.0
    return SsPolicy(s=s, S=s + batch)


def s_s_order(policy: SsPolicy, on_hand: float, on_order: float, backorders: float = 0.0,
              pack_size: int = 1, moq: int = 0) -> int:
    position = float(on_hand) + float(on_order) - float(backorders)
    if position > policy.s and policy.S > policy.s:
        return 0
    return round_order(max(policy.S - position, 0.0), pack_size, moq)
