"""(R, Q) policy with the economic order quantity: when the inventory position is at or
below the reorder point R, order the smallest multiple of Q that lifts it above R."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .demand import LeadTimeDemand
from .rounding import round_order
from .validation import check_costs, check_nonnegative, check_positive


def eoq(mean_demand_per_period: float, ordering_cost: float, holding_cost: float) -> float:
    """Wilson's EOQ = sqrt(2 K d / h), all per period."""
    check_nonnegative("mean_demand_per_period", mean_demand_per_period)
    check_nonnegative("ordering_cost", ordering_cost)
    check_positive("holding_cost", holding_cost)
    return math.sqrt(2.0 * ordering_cost * mean_demand_per_period / holding_cost)


@dataclass(frozen=True)
class RQPolicy:
    reorder_point: float
    quantity: float

    def __post_init__(self):
        if self.quantity <= 0:
            raise ValueError(f"quantity must be > 0, got {self.quantity}")


def rq_levels(demand: LeadTimeDemand, mean_demand_per_period: float, holding_cost: float,
              shortage_cost: float, ordering_cost: float, pack_size: int = 1) -> RQPolicy:
    """Q = EOQ (at least one pack); R from Hadley-Whitin's backorder condition
    P(lead-time demand > R) = Q h / (p d), clipped to a sane service range."""
    check_costs(holding_cost, shortage_cost)
    check_positive("shortage_cost", shortage_cost)
    q = max(eoq(mean_demand_per_period, ordering_cost, holding_cost), float(pack_size), 1.0)
    d = max(mean_demand_per_period, 1e-9)
    stockout_prob = float(np.clip(q * holding_cost / (shortage_cost * d), 1e-4, 0.5))
    return RQPolicy(reorder_point=demand.quantile(1.0 - stockout_prob), quantity=q)


def rq_order(policy: RQPolicy, on_hand: float, on_order: float, backorders: float = 0.0,
             pack_size: int = 1, moq: int = 0) -> int:
    position = float(on_hand) + float(on_order) - float(backorders)
    if position > policy.reorder_point:
        return 0
    n = math.floor((policy.reorder_point - position) / policy.quantity) + 1
    return round_order(n * policy.quantity, pack_size, moq)
