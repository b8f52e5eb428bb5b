"""The safety factor chosen by the cost of a replay (replenishment.policies.tuning): per class,
the argmin of the class's replayed cost, less stock on a flat curve, pooled for small classes."""
import numpy as np
import pytest

from replenishment.policies.periodic import order_up_to
from replenishment.policies.replay import replay
from replenishment.policies.tuning import FACTORS, cost_by_factor, factor_for, tuned_factors


def test_each_class_gets_the_factor_whose_cost_is_lowest():
    factors = np.array([0.0, 0.5, 1.0, 1.5])
    # series 0-1 ("a") cheapest at 1.0, series 2-3 ("b") cheapest at 0.0
    costs = np.array([[9, 9, 1, 1], [5, 5, 2, 2], [1, 1, 3, 3], [2, 2, 4, 4]], float)
    out = tuned_factors(costs, np.array(["a", "a", "b", "b"]), factors=factors, min_series=2)
    assert out["factors"] == {"*": 1.0, "a": 1.0, "b": 0.0}
    assert list(factor_for(out, ["b", "a", "unseen"])) == [0.0, 1.0, 1.0]


def test_a_small_class_takes_the_pooled_factor_and_a_flat_curve_the_smaller_factor():
    factors = np.array([0.0, 1.0, 2.0])
    costs = np.array([[10.0, 10.0, 0.0], [8.0, 8.01, 9.0], [8.0, 8.0, 9.0]])
    out = tuned_factors(costs, np.array(["big", "big", "small"]), factors=factors, min_series=2)
    assert out["factors"]["big"] == 1.0  # 2.0 is cheapest, 1.0 within 0.2 % of it: the less stock wins
    assert "small" not in out["factors"] and out["series"]["small"] == 1
    assert factor_for(out, ["small"])[0] == out["factors"]["*"]


def test_with_a_coverage_band_the_cheapest_factor_inside_it_wins_and_outside_it_the_closest_coverage():
    factors = np.array([0.0, 1.0, 2.0, 3.0])
    # class "a" is cheapest at 0 but covers only 0.60 there; inside 0.9 +- 0.03 are 2 and 3
    costs = np.array([[1, 1, 5, 5], [2, 2, 5, 5], [3, 3, 5, 5], [4, 4, 5, 5]], float)
    coverage = {"*": np.array([0.6, 0.8, 0.9, 0.95]), "a": np.array([0.6, 0.8, 0.88, 0.95]),
                "b": np.array([0.5, 0.6, 0.7, 0.8])}
    out = tuned_factors(costs, np.array(["a", "a", "b", "b"]), factors=factors, min_series=2,
                        coverage=coverage, target=0.9, band=0.03)
    assert out["factors"]["a"] == 2.0            # 3.0 is in the band too, but costs more
    assert out["factors"]["b"] == 3.0            # nothing in the band: the closest coverage
    assert out["factors"]["*"] == 2.0
    with pytest.raises(ValueError, match="target and band"):
        tuned_factors(costs, np.array(["a", "a", "b", "b"]), factors=factors, coverage=coverage)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="factors, series"):
        tuned_factors(np.zeros((3, 2)), np.array(["a", "a"]), factors=np.arange(4))
    with pytest.raises(ValueError, match="no series"):
        tuned_factors(np.zeros((2, 0)), np.array([]), factors=np.arange(2))


def test_on_a_real_replay_the_tuned_factor_is_no_costlier_than_any_fixed_one():
    """On the window it was tuned on, the chosen factor costs at most what every factor of the
    grid costs, class by class (it is the argmin), and less than the textbook z of 0.97 here:
    lost sales make the fractile level of a backorder model too high."""
    rng = np.random.default_rng(0)
    N, P, L = 60, 40, 2
    demand = rng.poisson(rng.uniform(1, 20, N)[:, None], (N, P)).astype(float)
    mean = demand.mean(1)
    centre, scale = (L + 1) * mean, np.sqrt((L + 1) * mean)
    classes = np.where(mean > 10, "fast", "slow")

    def play(k):
        level = centre + k * scale
        return replay(demand, lambda s: order_up_to(level, s), L, 0.2, 1.0, np.round(mean),
                      np.repeat(np.round(mean)[:, None], L, axis=1)).total

    costs = cost_by_factor(play)
    out = tuned_factors(costs, classes)
    k = factor_for(out, classes)
    chosen = np.zeros(N)  # per series, the cost at its class's factor
    for c in np.unique(classes):
        rows = classes == c
        assert costs[:, rows].sum(1).min() * 1.002 >= play(out["factors"][c])[rows].sum()
        chosen[rows] = play(out["factors"][c])[rows]
    assert chosen.sum() <= play(0.97).sum()
    assert np.all((k >= FACTORS.min()) & (k <= FACTORS.max()))


def test_the_lead_time_draws_match_to_one_centre_and_scale():
    from replenishment.policies.tuning import moment_matched, tuned_level
    # identical draws (a certain lead time): the draws' own centre and scale, so k means the same
    centre, scale = moment_matched(np.full((2, 5), [[10.0], [4.0]]), np.full((2, 5), [[3.0], [2.0]]))
    np.testing.assert_allclose(centre, [10, 4])
    np.testing.assert_allclose(scale, [3, 2])
    # draws whose centres differ: the centres' variance widens the scale (var 8 + mean square 9)
    centre, scale = moment_matched(np.array([6.0, 10.0, 14.0]), np.array([3.0, 3.0, 3.0]))
    assert centre == pytest.approx(10.0) and scale == pytest.approx(np.sqrt(9 + 32 / 3))
    np.testing.assert_allclose(tuned_level([10.0, 2.0], [3.0, 4.0], [1.5, -1.0]), [14.5, 0.0])   # never below 0
