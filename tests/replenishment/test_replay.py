"""The replay's timing, worked by hand, and the calibration and selection built on it."""
import numpy as np
import pytest

from replenishment.policies.calibration import GRID, calibrated_levels, coverage, level_for
from replenishment.policies.periodic import order_up_to
from replenishment.policies.replay import replay
from replenishment.policies.selection import select_methods


def test_two_series_three_periods_worked_by_hand_including_the_origin_order():
    # L = 1, holding 1, shortage 4; an order-up-to policy with S = 8 (series A) and 3 (series B).
    # A: starts with 4 on hand and 2 arriving in period 1; demand 3, 5, 2.
    #   origin: position 4 + 2 = 6 -> order 2 (arrives in period 2)
    #   period 1: 4 + 2 = 6 on the shelf, sells 3, 3 left (holding 3); position 3 + 2 -> order 3 (period 3)
    #   period 2: 3 + 2 = 5, sells 5, 0 left; position 0 + 3 -> order 5 (would arrive in period 4)
    #   period 3: 0 + 3 = 3, sells 2, 1 left (holding 1)
    # B: starts with 1 on hand, nothing on the way; demand 4, 0, 6.
    #   origin: position 1 -> order 2 (period 2)
    #   period 1: 1 on the shelf, sells 1, loses 3 (shortage 12); position 0 + 2 -> order 1 (period 3)
    #   period 2: 0 + 2 = 2, sells 0, 2 left (holding 2); position 2 + 1 = 3 -> order 0
    #   period 3: 2 + 1 = 3, sells 3, loses 3 (shortage 12)
    demand = np.array([[3, 5, 2], [4, 0, 6]], float)
    seen = []

    def policy(state):
        seen.append((state.t, state.on_hand.tolist(), state.pipeline[:, :2].tolist()))
        return order_up_to(np.array([8, 3]), state)

    r = replay(demand, policy, lead_time=1, holding=1.0, shortage=4.0, on_hand0=np.array([4, 1]),
               pipe0=np.array([[2], [0]]))
    assert [s[0] for s in seen] == [0, 1, 2]                       # the origin decides; nothing after period 3
    assert seen[0] == (0, [4, 1], [[2, 0], [0, 0]])                # the origin sees the starting state
    assert seen[1] == (1, [3, 0], [[2, 0], [2, 0]])                # origin orders on their way (period 2)
    assert seen[2] == (2, [0, 2], [[3, 0], [1, 0]])
    assert r.holding.tolist() == [4, 2]
    assert r.shortage.tolist() == [0, 24]
    assert r.ordered.tolist() == [10, 3]
    assert r.sold.tolist() == [10, 4] and r.lost.tolist() == [0, 6] and r.demand.tolist() == [10, 10]
    assert r.fill_rate.tolist() == [1.0, 0.4]
    assert r.per_period.tolist() == [15, 2, 13]
    assert r.summary()["total_cost"] == 30


def test_lead_time_two_means_the_origin_order_is_sold_from_in_period_three():
    demand = np.array([[0, 0, 5, 0]], float)
    r = replay(demand, lambda s: np.array([5.0]) if s.t == 0 else np.zeros(1), lead_time=2, holding=1.0,
               shortage=1.0, on_hand0=np.zeros(1), pipe0=np.zeros((1, 2)))
    assert r.sold.tolist() == [5] and r.holding.tolist() == [0]


def test_pack_and_minimum_order_round_every_order_and_random_lead_times_are_seeded():
    demand = np.full((3, 6), 4.0)
    r = replay(demand, lambda s: np.full(3, 3.0), lead_time=1, holding=1, shortage=1, on_hand0=np.zeros(3),
               pack_size=np.array([1, 5, 1]), moq=np.array([0, 0, 7]))
    assert r.ordered.tolist() == [18, 30, 42]
    runs = [replay(demand, lambda s: np.full(3, 4.0), 2, 1, 1, np.zeros(3), lead_time_std=1.5, seed=s).total
            for s in (3, 3, 4)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_a_series_that_never_sold_is_scored_ordering_nothing_costs_nothing():
    demand = np.zeros((2, 3))
    r = replay(demand, lambda s: np.array([0.0, 2.0]), 1, 1.0, 1.0, np.zeros(2))
    assert r.total.tolist() == [0, 2 + 4]   # series 2: 2 units arrive in period 2, 4 in period 3


def test_calibration_finds_the_level_whose_backtest_coverage_hits_the_target():
    rng = np.random.default_rng(0)
    realised = rng.poisson(10, 4000).astype(float)
    # an overconfident forecast: its quantiles are those of Poisson(10) squeezed towards 10
    from scipy import stats
    honest = stats.poisson.ppf(GRID, 10)
    squeezed = 10 + 0.5 * (honest - 10)
    sq = np.tile(squeezed, (4000, 1))
    cal = calibrated_levels(sq, realised, np.array(["smooth"] * 4000), 0.833)
    assert abs(cal["coverage"]["smooth"] - 0.833) < 0.04
    assert cal["levels"]["smooth"] > 0.9                   # it had to reach further into the tail
    assert abs(coverage(sq, realised)[np.searchsorted(GRID, cal["levels"]["*"])] - 0.833) < 0.04
    assert level_for(cal, ["smooth", "unseen"]).tolist() == [cal["levels"]["smooth"], cal["levels"]["*"]]
    with pytest.raises(ValueError, match="no backtest cases"):
        calibrated_levels(np.zeros((0, GRID.size)), np.zeros(0), np.zeros(0), 0.8)


def test_selection_needs_a_margin_and_significance_and_never_picks_a_method_that_could_not_be_replayed():
    costs = {"base_stock_forecast": np.array([100.0, 100, 100, 100]),
             "moving_average": np.array([90.0, 91, 92, 89]),        # 9.5 % cheaper, in every series
             "rl": np.array([np.nan, np.nan, np.nan, np.nan])}
    chosen, by_class = select_methods(costs, ["a"] * 4, [1, 1, 1, 1], "base_stock_forecast")
    assert by_class == {"a": "moving_average"} and set(chosen) == {"moving_average"}
    costs["moving_average"] = np.array([99.0, 99, 99, 99])         # 1 %: within the margin
    chosen, by_class = select_methods(costs, ["a"] * 4, [1, 1, 1, 1], "base_stock_forecast")
    assert by_class == {"a": "base_stock_forecast"} and set(chosen) == {"base_stock_forecast"}
    costs["moving_average"] = np.array([101.0, 101, 101, 50])      # 12 % cheaper, all of it one series
    chosen, by_class = select_methods(costs, ["a"] * 4, [1, 1, 1, 0.1], "base_stock_forecast")
    assert by_class == {"a": "base_stock_forecast"}                # not significant across the class
    assert chosen.tolist() == ["base_stock_forecast"] * 4          # and the one cheaper series sold too rarely
    chosen, _ = select_methods(costs, ["a"] * 4, [1, 1, 1, 1], "base_stock_forecast")
    assert chosen.tolist() == ["base_stock_forecast"] * 3 + ["moving_average"]
    # per-period costs: a pair's saving must hold up over the periods, not come from one of them
    steady = {"base_stock_forecast": np.tile([25.0, 25, 25, 25], (4, 1)),
              "moving_average": np.vstack([np.tile([26.0, 26, 26, 23], (3, 1)), [[12.0, 13, 12, 13]]])}
    lucky = {"base_stock_forecast": steady["base_stock_forecast"],
             "moving_average": np.vstack([np.tile([26.0, 26, 26, 23], (3, 1)), [[0.0, 0, 0, 50]]])}
    assert select_methods(costs, ["a"] * 4, [1] * 4, "base_stock_forecast", per_period=steady)[0][3] == "moving_average"
    assert select_methods(costs, ["a"] * 4, [1] * 4, "base_stock_forecast", per_period=lucky)[0][3] == "base_stock_forecast"


def test_the_learned_policy_state_from_a_replay_state():
    from replenishment.rl.observation import replay_observation
    pipeline = np.array([[3.0, 4, 5], [3.0, 4, 5], [3.0, 4, 5]])
    obs = replay_observation(np.array([10.0, 10, 10]), pipeline, np.array([0, 1, 3]))
    assert obs[:, :3].tolist() == [[10, 0, 0], [13, 0, 0], [13, 4, 5]]
    assert not obs[:, 3:].any()
