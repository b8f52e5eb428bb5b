"""Joint order quantities for all SKUs of one warehouse and supplier under a purchase
budget and the warehouse's free capacity (pure numpy/scipy; no Django).

For SKU i with inventory position x_i and demand D_i over lead time + review period, an
order q_i costs (in expectation, over the protection interval)
    C_i(q) = h_i E(x_i + q - D_i)+ + p_i E(D_i - x_i - q)+,
convex in q. C_i is evaluated exactly on the demand samples at breakpoints (every pack when
there are few, else an even grid of packs) and the chords between them give a convex
piecewise-linear epigraph, so the problem
    min sum_i t_i   s.t.  t_i >= chord_ik(q_i)               (every segment k)
                          sum_i unit_cost_i q_i <= budget
                          sum_i volume_i q_i    <= free capacity
                          q_i = pack_i k_i, k_i integer >= 0
                          q_i = 0 or q_i >= moq_i             (binary b_i where needed)
is a mixed-integer linear programme, solved by HiGHS through scipy.optimize.milp. No SKU
is ordered beyond its unconstrained optimum (the critical-fractile order-up-to level, or
the MOQ): more would only add holding cost.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from .policies.demand import LeadTimeDemand
from .policies.newsvendor import critical_fractile
from .policies.validation import check_costs, check_nonnegative, check_pack


@dataclass
class OrderPlan:
    quantities: np.ndarray          # units per SKU (multiples of the pack, 0 or >= MOQ)
    wanted: np.ndarray              # unconstrained optimum per SKU (no budget, no capacity)
    expected_cost: np.ndarray       # C_i(q_i), exact on the samples
    spend: float
    volume: float
    status: str                     # "optimal", "time_limit", ...
    mip_gap: float
    budget_binding: bool
    capacity_binding: bool


def optimise_orders(demands: list[LeadTimeDemand], position, unit_cost, holding_cost,
                    shortage_cost, budget: float = np.inf, free_capacity: float = np.inf,
                    volume=1.0, pack_size=1, moq=0, max_breakpoints: int = 40,
                    time_limit: float = 30.0, mip_rel_gap: float = 1e-3) -> OrderPlan:
    n = len(demands)
    if n == 0:
        raise ValueError("demands must not be empty")
    arr = lambda name, v, dt=float: np.broadcast_to(np.asarray(v, dt), (n,)).copy()  # noqa: E731
    x = arr("position", position)
    c = check_nonnegative("unit_cost", arr("unit_cost", unit_cost))
    v = check_nonnegative("volume", arr("volume", volume))
    h, p = arr("holding_cost", holding_cost), arr("shortage_cost", shortage_cost)
    check_costs(h, p)
    pack, mq = arr("pack_size", pack_size), arr("moq", moq)
    check_pack(pack, mq)
    pack, mq = pack.astype(np.int64), mq.astype(np.int64)
    for name, val in (("budget", budget), ("free_capacity", free_capacity)):
        if not float(val) >= 0:   # inf allowed (no limit); NaN and negatives refused
            raise ValueError(f"{name} must be >= 0 (np.inf for no limit), got {val!r}")

    # Unconstrained optimum per SKU: order up to the critical fractile, rounded to packs
    # (the cheaper of rounding down / up, since packs may overshoot), respecting the MOQ.
    wanted = np.zeros(n, np.int64)
    max_packs = np.zeros(n, np.int64)
    for i, d in enumerate(demands):
        target = d.quantile(critical_fractile(h[i], p[i]))
        raw = max(target - x[i], 0.0)
        lo_k, hi_k = int(np.floor(raw / pack[i])), int(np.ceil(raw / pack[i]))
        cands = [k for k in {lo_k, hi_k, 0} if k == 0 or k * pack[i] >= mq[i]]
        if raw > 0 and hi_k * pack[i] < mq[i]:
            cands.append(int(np.ceil(mq[i] / pack[i])))
        costs = [float(d.expected_cost(x[i] + k * pack[i], h[i], p[i])) for k in cands]
        best = cands[int(np.argmin(costs))]
        wanted[i] = best * pack[i]
        max_packs[i] = best

    # Variables: k (n, integer packs), t (n, cost epigraph), b (m, order-placed binaries)
    need_b = np.nonzero((mq > pack) & (max_packs > 0))[0]
    m = need_b.size
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    for i, d in enumerate(demands):
        K = int(max_packs[i])
        if K == 0:
            continue
        kmin = int(np.ceil(mq[i] / pack[i])) if mq[i] > pack[i] else 0
        grid = np.unique(np.r_[0, np.linspace(max(kmin, 0), K, min(max_breakpoints, K + 1)).round()]).astype(np.int64)
        cost = d.expected_cost(x[i] + grid * pack[i], h[i], p[i])
        for a in range(grid.size - 1):  # t_i >= cost[a] + slope (k - grid[a])
            slope = (cost[a + 1] - cost[a]) / (grid[a + 1] - grid[a])
            rows += [r, r]
            cols += [i, n + i]
            vals += [-slope, 1.0]
            lo.append(cost[a] - slope * grid[a])
            hi.append(np.inf)
            r += 1
    n_var = 2 * n + m
    # each SKU's cost at zero order is a constant lower bound too (t_i >= C_i(0) when K = 0)
    base_cost = np.array([float(d.expected_cost(x[i], h[i], p[i])) for i, d in enumerate(demands)])
    cons = []
    if r:
        cons.append(LinearConstraint(sparse.csr_array((vals, (rows, cols)), shape=(r, n_var)), lo, hi))
    budget_row = np.zeros(n_var)
    budget_row[:n] = c * pack
    cap_row = np.zeros(n_var)
    cap_row[:n] = v * pack
    if np.isfinite(budget):
        cons.append(LinearConstraint(budget_row, -np.inf, budget))
    if np.isfinite(free_capacity):
        cons.append(LinearConstraint(cap_row, -np.inf, free_capacity))
    if m:
        # k_i <= K_i b_i and k_i >= kmin_i b_i
        A = sparse.lil_array((2 * m, n_var))
        for j, i in enumerate(need_b):
            kmin = int(np.ceil(mq[i] / pack[i]))
            A[2 * j, i], A[2 * j, 2 * n + j] = 1.0, -float(max_packs[i])
            A[2 * j + 1, i], A[2 * j + 1, 2 * n + j] = 1.0, -float(kmin)
        cons.append(LinearConstraint(A.tocsr(), np.tile([-np.inf, 0.0], m), np.tile([0.0, np.inf], m)))
    lb = np.r_[np.zeros(n), base_cost * 0 - np.inf, np.zeros(m)]
    lb[n:2 * n] = np.where(max_packs == 0, base_cost, -np.inf)
    ub = np.r_[max_packs.astype(float), np.where(max_packs == 0, base_cost, np.inf), np.ones(m)]
    obj = np.r_[np.zeros(n), np.ones(n), np.zeros(m)]
    integrality = np.r_[np.ones(n), np.zeros(n), np.ones(m)]
    res = milp(obj, constraints=cons, integrality=integrality, bounds=Bounds(lb, ub),
               options={"time_limit": time_limit, "mip_rel_gap": mip_rel_gap, "disp": False})
    if res.x is None:
        raise RuntimeError(f"order optimisation failed: {res.message}")
    k = np.rint(res.x[:n]).astype(np.int64)
    q = k * pack
    # Safety net against solver tolerance: never exceed budget/capacity after rounding.
    q = _repair(q, pack, mq, c, v, budget, free_capacity)
    exp_cost = np.array([float(d.expected_cost(x[i] + q[i], h[i], p[i])) for i, d in enumerate(demands)])
    spend, vol = float(c @ q), float(v @ q)
    status = {0: "optimal", 1: "time_limit"}.get(res.status, str(res.message))
    gap = float(getattr(res, "mip_gap", 0.0) or 0.0)
    return OrderPlan(q, wanted, exp_cost, spend, vol, status, gap,
                     bool(np.isfinite(budget) and c @ wanted > budget),
                     bool(np.isfinite(free_capacity) and v @ wanted > free_capacity))


def _repair(q, pack, moq, c, v, budget, cap):
    q = q.copy()
    while (c @ q > budget + 1e-9) or (v @ q > cap + 1e-9):
        # drop one pack from the SKU with the most spend (then volume); below MOQ drop all
        i = int(np.argmax(np.where(q > 0, c * q + v * q, -1)))
        q[i] -= pack[i]
        if q[i] < moq[i]:
            q[i] = 0
    return q
