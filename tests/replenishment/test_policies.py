"""Classical policies: fractiles, rounding, closed-form optimality, refused parameters."""
import numpy as np
import pytest
from scipy import stats

from replenishment.policies import (LeadTimeDemand, base_stock_level, base_stock_order,
                                    critical_fractile, newsvendor_quantity, round_order,
                                    rq_levels, rq_order, s_s_levels, s_s_order)
from replenishment.rl.demand import PoissonDemand
from replenishment.rl.heuristics import base_stock
from replenishment.rl.simulator import InventorySimulator, run_policy


def test_critical_fractile_and_newsvendor_on_poisson():
    assert critical_fractile(1, 9) == pytest.approx(0.9)
    d = LeadTimeDemand.poisson(5, lead_time=0, review_period=1, n_samples=200_000, seed=3)
    assert newsvendor_quantity(d, 1, 9) == stats.poisson.ppf(0.9, 5)
    assert newsvendor_quantity(d, 1, 9, on_hand=3) == stats.poisson.ppf(0.9, 5) - 3


def test_base_stock_level_is_fractile_of_lead_time_plus_review_demand():
    d = LeadTimeDemand.poisson(4, lead_time=3, review_period=2, n_samples=400_000, seed=1)
    assert base_stock_level(d, 1, 19) == stats.poisson.ppf(0.95, 4 * 5)
    assert base_stock_level(d, 1, 19, service_level=0.5) == stats.poisson.ppf(0.5, 20)


def test_base_stock_optimal_for_backorders_matches_closed_form():
    """Backorders, lead time L: with the position at S after each order, the net stock at the
    end of period t+L is S - (demand of L+1 periods), so the long-run cost is
    C(S) = h E(S-D)+ + p E(D-S)+ with D ~ Poisson((L+1) mean), minimised at the fractile."""
    L, mean, h, p = 2, 3.0, 1.0, 9.0
    d = np.arange(200)
    pmf = stats.poisson.pmf(d, (L + 1) * mean)
    closed = {S: float((h * np.maximum(S - d, 0) + p * np.maximum(d - S, 0)) @ pmf) for S in range(4, 17)}
    s_star = int(stats.poisson.ppf(p / (p + h), (L + 1) * mean))
    assert min(closed, key=closed.get) == s_star
    levels = np.array(sorted(closed))
    E = 400
    sim = InventorySimulator(E * levels.size, PoissonDemand(mean), h, p, L, lost_sales=False, seed=7)
    per_ep, _ = run_policy(sim, base_stock(np.repeat(levels, E)), periods=400, warmup=20,
                           on_hand=s_star)
    sim_cost = per_ep.reshape(levels.size, E).mean(1)
    assert levels[np.argmin(sim_cost)] == s_star
    for S, c in zip(levels, sim_cost):
        assert c == pytest.approx(closed[S], rel=0.02)


def test_rounding_moq_and_packs():
    assert round_order(0, pack_size=6, moq=10) == 0
    assert round_order(1, pack_size=6, moq=10) == 12
    assert round_order(13, pack_size=6, moq=10) == 18
    assert round_order(12, pack_size=6, moq=10) == 12
    np.testing.assert_array_equal(round_order([0, 3, 7], 5, 0), [0, 5, 10])


def test_base_stock_order_counts_on_order_and_backorders():
    assert base_stock_order(20, on_hand=5, on_order=8) == 7
    assert base_stock_order(20, on_hand=5, on_order=8, backorders=3) == 10
    assert base_stock_order(20, on_hand=25, on_order=0) == 0
    assert base_stock_order(20, on_hand=5, on_order=8, pack_size=4) == 8


def test_s_s_and_rq_policies():
    d = LeadTimeDemand.poisson(5, lead_time=2, n_samples=50_000)
    pol = s_s_levels(d, 5, 1, 9, ordering_cost=50)
    assert pol.S - pol.s == pytest.approx(np.sqrt(2 * 50 * 5 / 1))
    assert s_s_order(pol, on_hand=pol.s + 1, on_order=0) == 0
    assert s_s_order(pol, on_hand=pol.s, on_order=0) == int(np.ceil(pol.S - pol.s))
    rq = rq_levels(d, 5, 1, 9, ordering_cost=50)
    assert rq.quantity == pytest.approx(np.sqrt(500))
    assert rq_order(rq, on_hand=rq.reorder_point + 1, on_order=0) == 0
    q = rq_order(rq, on_hand=rq.reorder_point - 30, on_order=0)
    assert q >= 30 and rq.reorder_point - 30 + q > rq.reorder_point


def test_quantile_forecast_and_history_distributions():
    levels = [0.1, 0.5, 0.9]
    q = stats.norm.ppf(levels, 10, 2)
    d = LeadTimeDemand.from_quantile_forecast(levels, np.tile(q, (4, 1)), lead_time=3, seed=0)
    assert d.mean == pytest.approx(40, rel=0.02)
    assert d.std == pytest.approx(4, rel=0.15)
    # random lead time widens the distribution
    d2 = LeadTimeDemand.from_quantile_forecast(levels, np.tile(q, (4, 1)), 3, lead_time_std=1.0, seed=0)
    assert d2.std > 1.5 * d.std
    hist = np.random.default_rng(0).poisson(5, 500)
    e = LeadTimeDemand.from_history(hist, lead_time=2, seed=0)
    assert e.mean == pytest.approx(15, rel=0.05)
    assert e.source == "empirical_history"


def test_expected_shortage_exact_on_samples():
    d = LeadTimeDemand(np.array([0, 1, 2, 3, 10]))
    assert d.expected_shortage(2) == pytest.approx((1 + 8) / 5)
    assert d.expected_excess(2) == pytest.approx((2 + 1 + 0) / 5)
    assert d.service_level(3) == pytest.approx(0.8)


@pytest.mark.parametrize("call, name", [
    (lambda: LeadTimeDemand.poisson(5, lead_time=-1), "lead_time"),
    (lambda: LeadTimeDemand.poisson(5, lead_time=2, lead_time_std=-0.5), "lead_time_std"),
    (lambda: round_order(5, pack_size=0), "pack_size"),
    (lambda: round_order(5, pack_size=2.5), "pack_size"),
    (lambda: round_order(5, pack_size=1, moq=-1), "moq"),
    (lambda: critical_fractile(1, -1), "shortage_cost"),
    (lambda: critical_fractile(-1, 4), "holding_cost"),
    (lambda: critical_fractile(0, 0), "both be 0"),
    (lambda: LeadTimeDemand.from_history([1, -2, 3], lead_time=1), "history"),
    (lambda: LeadTimeDemand.poisson(5, lead_time=1, review_period=0), "review_period"),
    (lambda: base_stock_level(LeadTimeDemand([1.0, 2.0]), 1, 4, service_level=1.2), "service_level"),
    (lambda: InventorySimulator(4, PoissonDemand(5), 1, 4, lead_time=-2), "lead_time"),
    (lambda: InventorySimulator(4, PoissonDemand(5), 1, -4, lead_time=2), "shortage_cost"),
    (lambda: InventorySimulator(4, PoissonDemand(5), 1, 4, lead_time=2, pack_size=0), "pack_size"),
])
def test_bad_parameters_refused_with_named_error(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_a_forecast_shorter_than_the_protection_interval_is_extended_explicitly_or_refused():
    levels = np.array([0.1, 0.5, 0.9])
    q = np.array([2.0, 5.0, 9.0])
    covered = LeadTimeDemand.from_quantile_forecast(levels, np.tile(q, (4, 1)), lead_time=3, seed=0)
    assert covered.extended_periods == 0
    short = LeadTimeDemand.from_quantile_forecast(levels, np.tile(q, (2, 1)), lead_time=3, seed=0)
    assert short.extended_periods == 2
    # the extension repeats the last period: the same distribution as a 4-period forecast
    assert short.mean == pytest.approx(covered.mean, rel=1e-9)
    with pytest.raises(ValueError, match="covers 2 period"):
        LeadTimeDemand.from_quantile_forecast(levels, np.tile(q, (2, 1)), lead_time=3, seed=0, beyond_horizon="error")
