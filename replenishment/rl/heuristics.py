"""Vectorised classical policies for the simulator: ``policy(sim) -> orders (n,)``.

Parameters may be scalars or arrays over the episodes, so a whole grid of (S, r) values is
evaluated in one simulation (each grid point on the same demand paths: common random
numbers).
"""
from __future__ import annotations

import numpy as np
from scipy import stats


def base_stock(S):
    S = np.asarray(S)

    def policy(sim):
        return np.maximum(S - sim.position, 0)
    return policy


def capped_base_stock(S, r):
    """Xin (2021): order min(r, (S - inventory position)+)."""
    S, r = np.asarray(S), np.asarray(r)

    def policy(sim):
        return np.minimum(r, np.maximum(S - sim.position, 0))
    return policy


def exact_policy(solution):
    """The optimal policy of ``exact.solve_lost_sales`` applied to the simulator's state."""
    L = solution.lead_time

    def policy(sim):
        if L == 0:
            return solution.order(sim.on_hand[:, None])
        return solution.order(sim.zipkin_state(L))
    return policy


class MyopicPolicy:
    """Zipkin's myopic policy for lost sales: choose z to minimise the expected cost of the
    period in which z arrives, h E(x0' - D)+ + p E(D - x0')+, where x0' = (what is left of
    today's pipeline after L periods of lost-sales depletion) + z. The distribution of the
    leftover is propagated exactly (a row-stochastic matrix per period) for all episodes at
    once; the best z is then a newsvendor on that distribution."""

    def __init__(self, mean: float, lead_time: int, holding_cost: float, shortage_cost: float,
                 max_level: int | None = None):
        self.L, self.h, self.p = int(lead_time), float(holding_cost), float(shortage_cost)
        M = max_level or int(stats.poisson.isf(1e-9, mean * (lead_time + 1))) + 5
        self.M = M
        d = np.arange(M + 1)
        pmf = stats.poisson.pmf(d, mean)
        # T[i, j] = P((i - D)+ = j): stock left from i after one period's demand
        T = np.zeros((M + 1, M + 1))
        for i in range(M + 1):
            T[i, 1:i + 1] = pmf[i - np.arange(1, i + 1)]
            T[i, 0] = stats.poisson.sf(i - 1, mean) if i > 0 else 1.0
        self.T = T
        # marginal cost of one more unit at level y: (h + p) P(D <= y) - p
        self.marginal = (self.h + self.p) * stats.poisson.cdf(d, mean) - self.p

    def __call__(self, sim):
        n, L, M = sim.n, self.L, self.M
        dist = np.zeros((n, M + 1))
        dist[np.arange(n), np.minimum(sim.on_hand, M)] = 1.0
        for k in range(1, L):   # after period k-1 the stock left plus x_k arrives
            dist = dist @ self.T
            dist = _shift(dist, sim.pipeline[:, k - 1], M)
        if L >= 1:
            dist = dist @ self.T  # stock left at the start of the period z arrives
        # E[marginal(left + z)] is increasing in z: smallest z where it turns >= 0
        j = np.arange(M + 1)
        marg_table = self.marginal[np.minimum(j[:, None] + j[None, :], M)]  # [left, z]
        expected_marginal = dist @ marg_table
        return np.argmax(expected_marginal >= 0, axis=1)


def _shift(dist, by, M):
    """Distribution of X + by (per row), mass beyond M kept at M."""
    src = np.arange(M + 1)[None, :] - by[:, None]
    out = np.take_along_axis(dist, np.clip(src, 0, M), axis=1) * (src >= 0)
    out[:, M] += 1.0 - out.sum(1)
    return out
