"""Exact value iteration for the lost-sales system."""
import numpy as np
import pytest
from scipy import stats

from replenishment.rl.demand import ReplayDemand
from replenishment.rl.exact import solve_lost_sales
from replenishment.rl.heuristics import exact_policy
from replenishment.rl.simulator import InventorySimulator, run_policy


def test_lead_time_zero_is_the_newsvendor_by_hand():
    """L = 0, lost sales: each period is a newsvendor; order up to S* = F^-1(p/(p+h)) and
    the long-run cost is C(S*) = h E(S*-D)+ + p E(D-S*)+ (hand-computed below)."""
    mean, h, p = 3.0, 1.0, 4.0
    sol = solve_lost_sales(0, p, h, mean)
    s_star = int(stats.poisson.ppf(p / (p + h), mean))  # F(4)=0.815 >= 0.8 > F(3)=0.647 -> 4
    assert s_star == 4
    d = np.arange(60)
    pmf = stats.poisson.pmf(d, mean)
    c = float((h * np.maximum(s_star - d, 0) + p * np.maximum(d - s_star, 0)) @ pmf)
    assert sol.average_cost == pytest.approx(c, abs=1e-6)
    # from any stock y <= S* the optimal order lifts the stock to S*
    for y in range(s_star + 1):
        assert y + sol.order(np.array([[y]]))[0] == s_star


@pytest.mark.parametrize("L, p, zipkin", [(1, 4, 4.04), (1, 39, 7.84), (2, 9, 6.09), (3, 19, 8.36)])
def test_matches_zipkin_2008_published_optimal_costs(L, p, zipkin):
    assert solve_lost_sales(L, p).average_cost == pytest.approx(zipkin, abs=0.006)


def test_truncation_does_not_change_the_optimum():
    a = solve_lost_sales(2, 19)
    b = solve_lost_sales(2, 19, max_position=a.max_position + 6)
    assert b.average_cost == pytest.approx(a.average_cost, abs=1e-6)


def test_simulated_cost_of_optimal_policy_matches_gain():
    sol = solve_lost_sales(2, 9)
    D = np.random.default_rng(0).poisson(5, (200, 2100))
    sim = InventorySimulator(200, ReplayDemand(D), 1, 9, 2)
    per_ep, _ = run_policy(sim, exact_policy(sol), periods=2000, warmup=100, on_hand=10)
    se = per_ep.std(ddof=1) / np.sqrt(per_ep.size)
    assert abs(per_ep.mean() - sol.average_cost) < 4 * se


def test_lead_time_too_large_is_refused_with_reason():
    with pytest.raises(ValueError, match="L=5 is too large"):
        solve_lost_sales(5, 39)
    with pytest.raises(ValueError, match="lead_time"):
        solve_lost_sales(-1, 4)
    with pytest.raises(ValueError, match="shortage_cost"):
        solve_lost_sales(1, -4)
