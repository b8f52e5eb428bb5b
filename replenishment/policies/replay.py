"""Replay of a periodic-review ordering policy on recorded demand (pure numpy; no Django).

The one replay the product (``replenishment.replays``, ``manage.py replay``) and the
benchmark (``bench.replenish``) both use, so the two cannot disagree on timing.

Timing, with the evaluation periods numbered 1..P and the *origin* at the end of period 0
(the last period the user has seen, the day they run it):

* the policy decides at the origin and at the end of periods 1..P-1, seeing only what
  happened up to then (decision ``t`` = 0..P-1 is taken at the end of period ``t``);
* an order placed at the end of period ``t`` with lead time ``l`` periods arrives at the
  start of period ``t + l + 1`` (so with L = 2 the origin order is sold from in period 3);
  a decision at the end of period P would only arrive after the replay, so there is none;
* in each period what arrives is put on the shelf first, demand is served from stock and
  what cannot be served is lost; at the end, holding cost is charged per unit left and
  shortage cost per unit lost. Stock in transit costs nothing.

The starting state: ``on_hand0`` is the stock at the start of period 1 before its arrivals;
``pipe0[:, k-1]`` arrives at the start of period ``k`` (k = 1..L).

Orders are rounded to what the supplier accepts (``round_order``: up to the minimum order,
then up to whole packs). A random lead time (mean L, standard deviation ``lead_time_std``,
rounded to whole periods, at least 0) is drawn per series and decision from ``seed`` before
the replay starts, so every policy meets the same lead times and the per-series results of
two policies can be compared (or combined: series never interact).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .rounding import round_order


@dataclass
class ReplayState:
    """What a policy sees at decision ``t`` (0 = the origin)."""

    t: int
    on_hand: np.ndarray      # (N,) units on the shelf after period t
    pipeline: np.ndarray     # (N, K) units arriving at the start of periods t+1 .. t+K
    sold: np.ndarray | None  # (N,) units sold in period t by the replay (None at the origin)

    @property
    def position(self) -> np.ndarray:
        return self.on_hand + self.pipeline.sum(1)


@dataclass
class ReplayResult:
    """Per-series totals over the P periods (arrays of shape (N,)) and the cost per period."""

    holding: np.ndarray
    shortage: np.ndarray
    ordered: np.ndarray
    demand: np.ndarray
    sold: np.ndarray
    lost: np.ndarray
    per_period: np.ndarray   # (P,) holding + shortage of all series
    by_period: np.ndarray | None = None   # (N, P) holding + shortage per series and period

    @property
    def total(self) -> np.ndarray:
        return self.holding + self.shortage

    @property
    def fill_rate(self) -> np.ndarray:
        """Units sold / units demanded (1 where there was no demand)."""
        return np.where(self.demand > 0, self.sold / np.maximum(self.demand, 1e-12), 1.0)

    def take(self, mask) -> "ReplayResult":
        mask = np.asarray(mask)
        return ReplayResult(self.holding[mask], self.shortage[mask], self.ordered[mask], self.demand[mask],
                            self.sold[mask], self.lost[mask], self.per_period,
                            None if self.by_period is None else self.by_period[mask])

    def summary(self) -> dict:
        demand = float(self.demand.sum())
        return {"total_cost": float(self.total.sum()), "holding_cost": float(self.holding.sum()),
                "shortage_cost": float(self.shortage.sum()), "units_ordered": float(self.ordered.sum()),
                "fill_rate": float(self.sold.sum() / demand) if demand > 0 else 1.0,
                "per_period": np.round(self.per_period, 4).tolist()}


def lead_time_draws(n: int, decisions: int, lead_time, lead_time_std=0.0, seed: int = 0) -> np.ndarray:
    """(n, decisions) whole-period lead times: L where the standard deviation is 0, else a rounded
    normal draw, at least 0."""
    L = np.broadcast_to(np.asarray(lead_time, float), (n,))
    std = np.broadcast_to(np.asarray(lead_time_std, float), (n,))
    if np.any(L < 0) or np.any(std < 0):
        raise ValueError("lead_time and lead_time_std must be >= 0")
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n, decisions))
    return np.maximum(np.rint(L[:, None] + std[:, None] * noise), 0).astype(np.int64)


def replay(demand, decide: Callable[[ReplayState], np.ndarray], lead_time, holding, shortage,
           on_hand0, pipe0=None, *, lead_time_std=0.0, pack_size=1, moq=0, seed: int = 0,
           history_sold=None) -> ReplayResult:
    """Run one policy over ``demand`` (N, P): the evaluation periods' demand (NaN: 0).

    ``decide(state) -> (N,)`` wanted units; ``history_sold`` (N,) is what sold in period 0
    (shown to the policy at the origin as ``sold``; None leaves it None).
    """
    d = np.nan_to_num(np.asarray(demand, float))
    if d.ndim != 2:
        raise ValueError("demand must be (series, periods)")
    N, P = d.shape
    leads = lead_time_draws(N, P, lead_time, lead_time_std, seed)
    L = np.broadcast_to(np.asarray(lead_time, float), (N,))
    K = int(max(leads.max(initial=0), np.ceil(L.max(initial=0)))) + 1
    h = np.broadcast_to(np.asarray(holding, float), (N,))
    p = np.broadcast_to(np.asarray(shortage, float), (N,))
    on_hand = np.asarray(on_hand0, float).copy()
    # arrivals[:, j]: units arriving at the start of period j + 1 (room for the longest lead time)
    arrivals = np.zeros((N, P + K + 1))
    if pipe0 is not None:
        pipe0 = np.atleast_2d(np.asarray(pipe0, float))
        if pipe0.shape[0] != N:
            raise ValueError("pipe0 must have one row per series")
        arrivals[:, :pipe0.shape[1]] += pipe0
    hold, short, ordered, sold_tot, lost_tot = (np.zeros(N) for _ in range(5))
    per_period = np.zeros(P)
    by_period = np.zeros((N, P))
    sold = None if history_sold is None else np.asarray(history_sold, float)
    rows = np.arange(N)
    for t in range(P):
        # the decision at the end of period t (t = 0: the origin), then period t + 1 is played
        state = ReplayState(t, on_hand.copy(), arrivals[:, t:t + K].copy(), None if sold is None else sold.copy())
        wanted = np.maximum(np.nan_to_num(np.asarray(decide(state), float)), 0)
        q = round_order(np.ceil(wanted - 1e-9), pack_size, moq).astype(float)
        arrivals[rows, t + leads[:, t]] += q
        ordered += q
        on_hand += arrivals[:, t]
        sold = np.minimum(d[:, t], on_hand)
        lost = d[:, t] - sold
        on_hand -= sold
        hold += h * on_hand
        short += p * lost
        sold_tot += sold
        lost_tot += lost
        by_period[:, t] = h * on_hand + p * lost
        per_period[t] = float(by_period[:, t].sum())
    return ReplayResult(hold, short, ordered, d.sum(1), sold_tot, lost_tot, per_period, by_period)
