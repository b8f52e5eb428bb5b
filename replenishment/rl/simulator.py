"""Vectorised periodic-review inventory simulator: n SKU-episodes stepped at once.

Timing per period (Zipkin's convention, shared with ``exact.py``):
  1. the state is observed: on hand x0 (after this period's arrival) and the pipeline
     x1..x_{K} (x_k arrives k periods from now);
  2. the order z is placed (rounded to MOQ and packs, cut so that the inventory position
     never exceeds the warehouse capacity) and joins the pipeline at its lead time
     (deterministic L, or drawn per order; L = 0 arrives before demand);
  3. demand D is served from on hand; the excess is lost (``lost_sales=True``) or
     backlogged; cost = h * stock left + p * (units lost, or units backlogged);
  4. the pipeline moves one period: what was 1 period away arrives.
Everything is an array over the n episodes; there is no Python loop over SKUs, so 10^5
episodes step in milliseconds. ``step`` returns the flows of the period so conservation
(stock in = stock out + stock left, per SKU and step) can be checked exactly.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..policies.validation import check_costs, check_nonnegative, check_pack, check_positive


@dataclass
class StepFlows:
    """What moved in one period, per episode (all int64 arrays of shape (n,))."""
    on_hand_start: np.ndarray     # x0 when the period began (after its arrival)
    received_now: np.ndarray      # units of a zero-lead-time order, received before demand
    demand: np.ndarray
    shipped: np.ndarray           # units sent to customers (incl. backlog served)
    lost: np.ndarray
    backlog: np.ndarray           # backlog at the end of the period
    left: np.ndarray              # physical stock left at the end (costed)
    arrived_next: np.ndarray      # units arriving at the start of the next period
    on_hand_next: np.ndarray
    ordered: np.ndarray
    cost: np.ndarray
    holding_cost: np.ndarray
    shortage_cost: np.ndarray


class InventorySimulator:
    def __init__(self, n: int, demand, holding_cost=1.0, shortage_cost=4.0, lead_time=1,
                 lead_time_std=0.0, max_lead_time: int | None = None, lost_sales: bool = True,
                 moq=0, pack_size=1, capacity=np.inf, seed: int = 0):
        check_positive("n", n)
        check_costs(holding_cost, shortage_cost)
        check_nonnegative("lead_time", lead_time)
        check_nonnegative("lead_time_std", lead_time_std)
        check_pack(pack_size, moq)
        if np.any(np.isnan(np.asarray(capacity, float))) or np.any(np.asarray(capacity, float) <= 0):
            raise ValueError(f"capacity must be > 0 (np.inf for none), got {capacity!r}")
        self.n = int(n)
        self.demand = demand
        self.h = np.broadcast_to(np.asarray(holding_cost, float), (n,)).copy()
        self.p = np.broadcast_to(np.asarray(shortage_cost, float), (n,)).copy()
        self.lead_time = np.broadcast_to(np.asarray(lead_time, np.int64), (n,)).copy()
        if np.any(self.lead_time != np.asarray(lead_time)):
            raise ValueError("lead_time must be whole periods")
        self.lead_time_std = np.broadcast_to(np.asarray(lead_time_std, float), (n,)).copy()
        self.stochastic_lead = bool(np.any(self.lead_time_std > 0))
        if max_lead_time is None:
            max_lead_time = int(self.lead_time.max() + np.ceil(4 * self.lead_time_std.max()))
        self.K = max(int(max_lead_time), 1)
        self.lost_sales = bool(lost_sales)
        self.moq = np.broadcast_to(np.asarray(moq, np.int64), (n,)).copy()
        self.pack = np.broadcast_to(np.asarray(pack_size, np.int64), (n,)).copy()
        self.capacity = np.broadcast_to(np.asarray(capacity, float), (n,)).copy()
        self.seed = seed
        self.reset()

    # --- state ----------------------------------------------------------------------
    def reset(self, on_hand=0, pipeline=None, seed: int | None = None):
        self.rng = np.random.default_rng(self.seed if seed is None else seed)
        self.t = 0
        self.on_hand = np.broadcast_to(np.asarray(on_hand, np.int64), (self.n,)).copy()
        self.backlog = np.zeros(self.n, np.int64)
        # pipeline[:, k-1] arrives k periods from now
        self.pipeline = np.zeros((self.n, self.K), np.int64)
        if pipeline is not None:
            pipe = np.asarray(pipeline, np.int64)
            self.pipeline[:, :pipe.shape[1]] = pipe
        return self.observe()

    def observe(self) -> np.ndarray:
        """(n, 1 + K): on hand net of backlog, then the pipeline."""
        return np.column_stack([self.on_hand - self.backlog, self.pipeline])

    def zipkin_state(self, L: int) -> np.ndarray:
        """(x0, x1, .., x_{L-1}) for episodes with deterministic lead time L."""
        return np.column_stack([self.on_hand, self.pipeline[:, :max(L - 1, 0)]])

    @property
    def position(self) -> np.ndarray:
        return self.on_hand - self.backlog + self.pipeline.sum(1)

    # --- dynamics ---------------------------------------------------------------------
    def feasible_order(self, order) -> np.ndarray:
        """MOQ/pack rounding (up), then cut to capacity (down to whole packs)."""
        q = np.maximum(np.rint(np.asarray(order, float)), 0).astype(np.int64)
        q = np.broadcast_to(q, (self.n,)).copy()
        wanted = q > 0
        q = np.where(wanted, np.maximum(q, self.moq), 0)
        q = -(-q // self.pack) * self.pack
        room = np.floor(self.capacity - self.position.astype(float))
        room = np.where(np.isfinite(room), room, np.iinfo(np.int64).max // 4).astype(np.int64)
        room = np.maximum(room, 0) // self.pack * self.pack
        q = np.minimum(q, room)
        return np.where(q < self.moq, 0, q)  # a cut below the MOQ cannot be placed

    def step(self, order) -> StepFlows:
        n = self.n
        q = self.feasible_order(order)
        if self.stochastic_lead:
            lt = np.rint(self.rng.normal(self.lead_time, self.lead_time_std)).astype(np.int64)
            lt = np.where(self.lead_time_std > 0, lt, self.lead_time)
            lt = np.clip(lt, 0, self.K)
        else:
            lt = self.lead_time
        start = self.on_hand.copy()
        now = np.where(lt == 0, q, 0)
        later = q - now
        rows = np.nonzero(later)[0]
        self.pipeline[rows, lt[rows] - 1] += later[rows]
        stock = start + now
        d = np.asarray(self.demand.draw(self.rng, self.t, n), np.int64)
        due = d + self.backlog
        shipped = np.minimum(due, stock)
        unmet = due - shipped
        left = stock - shipped
        if self.lost_sales:
            lost, backlog = unmet, np.zeros(n, np.int64)
            short_units = lost
        else:
            lost, backlog = np.zeros(n, np.int64), unmet
            short_units = backlog
        hc = self.h * left
        sc = self.p * short_units
        arrived = self.pipeline[:, 0].copy()
        self.pipeline[:, :-1] = self.pipeline[:, 1:]
        self.pipeline[:, -1] = 0
        self.on_hand = left + arrived
        self.backlog = backlog
        self.t += 1
        return StepFlows(start, now, d, shipped, lost, backlog, left, arrived, self.on_hand.copy(),
                         q, hc + sc, hc, sc)


def run_policy(sim: InventorySimulator, policy, periods: int, warmup: int = 0,
               on_hand=0, pipeline=None, seed=None):
    """Simulate ``policy(sim) -> orders`` for warmup + periods; return per-episode mean cost
    over the measured periods, and the (periods, n) cost matrix."""
    sim.reset(on_hand=on_hand, pipeline=pipeline, seed=seed)
    costs = np.empty((periods, sim.n))
    for t in range(warmup + periods):
        flows = sim.step(policy(sim))
        if t >= warmup:
            costs[t - warmup] = flows.cost
    return costs.mean(0), costs
