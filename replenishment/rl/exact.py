"""Exact long-run average cost of the periodic-review lost-sales system (Zipkin 2008).

Convention (as in Zipkin, "Old and new methods for lost-sales inventory systems", 2008):
the state is the pipeline x = (x0, ..., x_{L-1}); x0 is the stock on hand after this
period's arrival, x_k arrives k periods from now. Demand D is served from x0, the rest is
lost; the period costs h (x0 - D)+ + p (D - x0)+; the order z placed now joins the end of
the pipeline, so the next state is ((x0 - D)+ + x1, x2, ..., x_{L-1}, z). With L = 1 the
next state is ((x0 - D)+ + z). With L = 0 the order arrives at once: the state is the stock
y left from last period, x0 = y + z, and the problem is a repeated newsvendor.

Relative value iteration over the states whose inventory position (sum of the pipeline) is
at most U. U defaults to the critical-fractile base-stock level of the *backorder* system
with lead time L plus a margin: Morton (1971) showed the optimal lost-sales policy never
raises the position above that level, so the truncation loses nothing (the margin and
``check_truncation`` let a test confirm it numerically). The state count grows like
U^L / L!; beyond ``max_entries`` transition entries the solver refuses with a ValueError
naming L (L = 5 with Poisson(5) already needs ~10^8; Zipkin's L = 1..4 instances fit).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from ..policies.validation import check_costs, check_nonnegative


@dataclass
class ExactSolution:
    lead_time: int
    holding_cost: float
    shortage_cost: float
    average_cost: float          # optimal long-run average cost per period (gain)
    max_position: int            # U: states with position <= U
    iterations: int
    seconds: float
    states: np.ndarray           # (n, L) pipelines (L = 0: (n, 1) stock left before ordering)
    actions: np.ndarray          # (n,) optimal order per state
    lookup: np.ndarray = field(repr=False)  # dense (U+1,)*max(L,1) table of optimal orders, -1 outside

    def order(self, pipeline: np.ndarray) -> np.ndarray:
        """Optimal orders for a batch of pipelines (B, L) (L = 0: (B, 1) stock left)."""
        pipeline = np.asarray(pipeline, dtype=np.int64)
        if np.any(pipeline.sum(axis=1) > self.max_position):
            raise ValueError("pipeline outside the solved state space (position > max_position)")
        return self.lookup[tuple(pipeline.T)]


def demand_pmf_poisson(mean: float, tail: float = 1e-13) -> np.ndarray:
    check_nonnegative("mean", mean)
    dmax = int(stats.poisson.isf(tail, mean)) + 1
    return stats.poisson.pmf(np.arange(dmax + 1), mean)


def _period_cost(pmf: np.ndarray, max_level: int, h: float, p: float) -> np.ndarray:
    """c(x0) = h E(x0-D)+ + p E(D-x0)+ for x0 = 0..max_level, exact for the pmf given."""
    d = np.arange(pmf.size)
    x = np.arange(max_level + 1)[:, None]
    excess = (np.maximum(x - d, 0) * pmf).sum(1)
    short = (np.maximum(d - x, 0) * pmf).sum(1)
    return h * excess + p * short


def _leftover_weights(pmf: np.ndarray, max_level: int) -> np.ndarray:
    """W[x0, k] = P((x0 - D)+ = k)."""
    cdf = np.cumsum(pmf)
    W = np.zeros((max_level + 1, max_level + 1))
    for x0 in range(max_level + 1):
        ks = np.arange(1, x0 + 1)
        dem = x0 - ks
        W[x0, ks] = np.where(dem < pmf.size, pmf[np.minimum(dem, pmf.size - 1)], 0.0)
        W[x0, 0] = 1.0 - (cdf[x0 - 1] if 0 < x0 <= pmf.size else (0.0 if x0 == 0 else 1.0))
    return W


def default_max_position(mean: float, lead_time: int, h: float, p: float, margin: int = 2) -> int:
    return int(stats.poisson.ppf(p / (p + h), mean * (lead_time + 1))) + margin


def solve_lost_sales(lead_time: int, shortage_cost: float, holding_cost: float = 1.0,
                     mean: float = 5.0, pmf: np.ndarray | None = None,
                     max_position: int | None = None, tol: float = 1e-7,
                     max_iter: int = 20000, max_entries: int = 60_000_000) -> ExactSolution:
    """Relative value iteration; stops when span(V_{n+1} - V_n) < tol (the gain is then
    known to within tol: it lies between the min and max of that difference)."""
    if lead_time < 0 or int(lead_time) != lead_time:
        raise ValueError(f"lead_time must be a whole number >= 0, got {lead_time!r}")
    check_costs(holding_cost, shortage_cost)
    L, h, p = int(lead_time), float(holding_cost), float(shortage_cost)
    pmf = demand_pmf_poisson(mean) if pmf is None else np.asarray(pmf, dtype=float)
    if pmf is not None and (np.any(pmf < 0) or abs(pmf.sum() - 1) > 1e-9):
        raise ValueError("pmf must be non-negative and sum to 1")
    mean_d = float((np.arange(pmf.size) * pmf).sum())
    U = default_max_position(mean_d, L, h, p) if max_position is None else int(max_position)
    x0s = np.arange(U + 1)
    if L == 0:   # pairs (y, z) with y + z = x0
        expected_entries = int(((x0s + 1) ** 2).sum())
    else:        # x0, then L coordinates (x1..x_{L-1}, z) with sum <= U - x0
        expected_entries = int(sum((x0 + 1) * math.comb(U - x0 + L, L) for x0 in x0s))
    if expected_entries > max_entries:
        raise ValueError(f"lead_time L={L} is too large for exact value iteration here: "
                         f"{expected_entries:,} transition entries (limit {max_entries:,}; "
                         f"the state space grows like U^L/L! with U={U})")
    t0 = time.perf_counter()
    cost = _period_cost(pmf, U, h, p)
    W = _leftover_weights(pmf, U)
    dims = max(L, 1)

    # States: pipelines with position <= U.
    grid = np.indices((U + 1,) * dims).reshape(dims, -1).T
    states = grid[grid.sum(1) <= U]
    n = states.shape[0]
    index = np.full((U + 1,) * dims, -1, dtype=np.int64)
    index[tuple(states.T)] = np.arange(n)

    # (state, order) pairs, orders 0..U - position, grouped by state (contiguous).
    n_act = U - states.sum(1) + 1
    pair_state = np.repeat(np.arange(n), n_act)
    pair_z = np.arange(pair_state.size) - np.repeat(np.cumsum(n_act) - n_act, n_act)
    ps = states[pair_state]
    x0 = ps[:, 0] + (pair_z if L == 0 else 0)     # L = 0: the order arrives before demand
    n_k = x0 + 1
    entries = int(n_k.sum())
    if entries > max_entries:
        raise ValueError(f"lead_time L={L} is too large for exact value iteration here: "
                         f"{n} states, {entries:,} transition entries (limit {max_entries:,})")
    e_pair = np.repeat(np.arange(pair_state.size), n_k)
    e_k = np.arange(entries) - np.repeat(np.cumsum(n_k) - n_k, n_k)
    e_x0 = x0[e_pair]
    weight = W[e_x0, e_k]
    keep = weight > 0
    e_pair, e_k, weight = e_pair[keep], e_k[keep], weight[keep]
    if L == 0:
        nxt = e_k[:, None]
    elif L == 1:
        nxt = (e_k + pair_z[e_pair])[:, None]
    else:
        eps = ps[e_pair]
        nxt = np.column_stack([eps[:, 1] + e_k, eps[:, 2:], pair_z[e_pair]])
    e_next = index[tuple(nxt.T)]
    assert np.all(e_next >= 0), "transition left the truncated state space"
    pair_cost = cost[x0] if L == 0 else cost[ps[:, 0]]
    starts = np.cumsum(n_act) - n_act
    del nxt, ps, grid

    V = np.zeros(n)
    gain = math.nan
    for it in range(1, max_iter + 1):
        Q = pair_cost + np.bincount(e_pair, weights=weight * V[e_next], minlength=pair_state.size)
        Vn = np.minimum.reduceat(Q, starts)
        diff = Vn - V
        lo, hi = diff.min(), diff.max()
        V = Vn - Vn[0]
        if hi - lo < tol:
            gain = 0.5 * (lo + hi)
            break
    else:
        raise RuntimeError(f"value iteration did not converge in {max_iter} iterations")
    best = np.array([int(np.argmin(Q[s:s + k])) for s, k in zip(starts, n_act)]) if n < 2000 else \
        _segment_argmin(Q, starts, n_act)
    lookup = np.full((U + 1,) * dims, -1, dtype=np.int64)
    lookup[tuple(states.T)] = best
    return ExactSolution(L, h, p, float(gain), U, it, time.perf_counter() - t0, states, best, lookup)


def _segment_argmin(Q, starts, lengths):
    """argmin within each contiguous segment, vectorised (first minimum on ties)."""
    seg_min = np.minimum.reduceat(Q, starts)
    seg = np.repeat(np.arange(starts.size), lengths)
    is_min = Q <= seg_min[seg] + 1e-12
    pos = np.arange(Q.size) - np.repeat(starts, lengths)
    pos = np.where(is_min, pos, np.iinfo(np.int64).max)
    return np.minimum.reduceat(pos, starts)
