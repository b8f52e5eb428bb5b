"""Metrics against values worked out by hand."""
import numpy as np
import pytest

from forecasting.ml import metrics as M
from forecasting.ml.classify import adi_cv2, classify_moments, classify_one


def test_mase_and_rmsse_by_hand():
    # history 1,3,2,4: one-step naive errors 2,1,2 -> MAE scale 5/3, MSE scale (4+1+4)/3 = 3
    ins = np.array([[1.0, 3.0, 2.0, 4.0]])
    y = np.array([[2.0, 4.0]])
    f = np.array([[3.0, 2.0]])  # errors 1, 2
    assert M.mase(y, f, ins)[0] == pytest.approx((3 / 2) / (5 / 3))
    assert M.rmsse(y, f, ins)[0] == pytest.approx(np.sqrt((5 / 2) / 3))


def test_leading_nan_is_ignored_in_scale():
    ins = np.array([[np.nan, np.nan, 1.0, 3.0, 2.0, 4.0]])
    y, f = np.array([[2.0, 4.0]]), np.array([[3.0, 2.0]])
    assert M.rmsse(y, f, ins)[0] == pytest.approx(np.sqrt((5 / 2) / 3))


def test_tiny_wrmsse_by_hand():
    # series A: history 0,2,0,2 (diff^2 = 4,4,4 -> scale 4), price 1; last 2 days sell 0+2 = $2
    # series B: history 1,1,2,2 (diff^2 = 0,1,0 -> scale 1/3), price 3; last 2 days sell 2+2 -> $12
    ins = np.array([[0, 2, 0, 2], [1, 1, 2, 2]], float)
    price = np.array([[1, 1, 1, 1], [3, 3, 3, 3]], float)
    y = np.array([[2, 0], [2, 3]], float)
    f = np.array([[0, 0], [2, 2]], float)
    w = M.m5_weights(ins, price, window=2)
    assert w == pytest.approx([2 / 14, 12 / 14])
    # RMSSE A = sqrt(((4+0)/2)/4) = sqrt(0.5); B = sqrt(((0+1)/2)/(1/3)) = sqrt(1.5)
    r = M.rmsse(y, f, ins)
    assert r == pytest.approx([np.sqrt(0.5), np.sqrt(1.5)])
    assert M.wrmsse(y, f, ins, w) == pytest.approx(2 / 14 * np.sqrt(0.5) + 12 / 14 * np.sqrt(1.5))


def test_wrmsse_skips_flat_history_and_renormalises():
    ins = np.array([[5, 5, 5], [1, 2, 1]], float)  # first has no variation: RMSSE undefined
    y, f = np.array([[5.0], [2.0]]), np.array([[4.0], [1.0]])
    w = np.array([0.5, 0.5])
    assert np.isnan(M.rmsse(y, f, ins)[0])
    assert M.wrmsse(y, f, ins, w) == pytest.approx(M.rmsse(y, f, ins)[1])


def test_weights_fall_back_to_units_without_price():
    ins = np.array([[1, 3], [0, 1]], float)
    assert M.m5_weights(ins, None, window=2) == pytest.approx([4 / 5, 1 / 5])


def test_pinball_by_hand():
    y = np.array([[10.0]])
    q = np.array([[[8.0, 12.0]]])  # p10 = 8 (under by 2), p90 = 12 (over by 2)
    # p10: 0.1*2 = 0.2; p90: (0.9-1)*(10-12) = 0.2
    assert M.pinball(y, q, [0.1, 0.9]) == pytest.approx([0.2, 0.2])
    q2 = np.array([[[12.0, 8.0]]])  # p10 over by 2 -> 0.9*2 = 1.8; p90 under by 2 -> 0.9*2 = 1.8
    assert M.pinball(y, q2, [0.1, 0.9]) == pytest.approx([1.8, 1.8])


def test_scaled_pinball_divides_by_naive_mae():
    ins = np.array([[0.0, 2.0, 0.0]])  # naive MAE = 2
    y = np.array([[10.0]])
    q = np.array([[[8.0, 12.0]]])
    assert M.scaled_pinball(y, q, [0.1, 0.9], ins) == pytest.approx(0.2 / 2)


def test_coverage_counts_ties_and_skips_nan():
    y = np.array([[0.0, 5.0, 9.0, np.nan]])
    lo = np.array([[0.0, 1.0, 1.0, 0.0]])
    hi = np.array([[0.0, 4.0, 9.0, 1.0]])
    assert M.coverage(y, lo, hi) == pytest.approx(2 / 3)


def test_bias_sign():
    assert M.bias(np.array([10.0, 10.0]), np.array([12.0, 10.0])) == pytest.approx(0.1)
    assert M.bias(np.array([10.0]), np.array([5.0])) == pytest.approx(-0.5)


@pytest.mark.parametrize("series,expected", [
    ([3, 4, 3, 4, 3, 4], "smooth"),            # ADI 1, CV2 small
    ([1, 10, 1, 12, 1, 9], "erratic"),         # ADI 1, CV2 large
    ([0, 0, 5, 0, 0, 5, 0, 0, 6], "intermittent"),
    ([0, 0, 1, 0, 0, 20, 0, 0, 2], "lumpy"),
    ([0, 0, 0], "no_demand"),
])
def test_demand_classes(series, expected):
    assert classify_one(np.array(series, float)) == expected


@pytest.mark.parametrize("seed", range(20))
def test_class_from_sums_equals_class_from_series(seed):
    # What the database aggregates (days, non-zero days, sum, sum of squares) gives the
    # class the series gives, on intermittent series of every kind.
    rng = np.random.default_rng(seed)
    series = rng.poisson(rng.uniform(0.2, 6), 60) * rng.binomial(1, rng.uniform(0.05, 1), 60)
    nz = series[series > 0]
    assert classify_moments(len(series), len(nz), float(nz.sum()), float((nz.astype(float) ** 2).sum())) \
        == classify_one(series.astype(float))


def test_adi_cv2_by_hand():
    adi, cv2 = adi_cv2(np.array([0, 0, 5, 0, 0, 5, 0, 0, 6.0]))
    assert adi == pytest.approx(9 / 3)
    nz = np.array([5, 5, 6.0])
    assert cv2 == pytest.approx(nz.var() / nz.mean() ** 2)


def test_hierarchical_wrmsse_worked_by_hand():
    # two items in one store; levels: the total and the items (a two-level M5)
    ins = np.array([[1, 2, 1, 2], [1, 3, 3, 1]], float)
    y = np.array([[2, 2], [1, 1]], float)
    f = np.array([[1, 1], [3, 3]], float)
    hierarchy = {"item_id": np.array(["A", "B"], object)}
    levels = ((), ("item_id",))
    # A: scale mean(1,1,1)=1, mse 1 -> 1.  B: scale mean(4,0,4)=8/3, mse 4 -> sqrt(1.5)
    # total: history 2,5,4,3 -> scale (9+1+1)/3 = 11/3; actual 3,3 vs forecast 4,4 -> sqrt(3/11)
    # weights over the last 2 days in units (no price): A 3, B 4
    bottom = (3 * 1 + 4 * np.sqrt(1.5)) / 7
    total = np.sqrt(3 / 11)
    overall, per_level = M.wrmsse_levels(y, f, ins, None, hierarchy, levels, window=2)
    assert per_level["total"] == pytest.approx(total)
    assert per_level["item_id"] == pytest.approx(bottom)
    assert overall == pytest.approx((total + bottom) / 2)
    # with prices the bottom level is weighted by dollars: A 2 x 3 = 6, B 1 x 4 = 4
    price = np.array([[2, 2, 2, 2], [1, 1, 1, 1]], float)
    _, per_level = M.wrmsse_levels(y, f, ins, price, hierarchy, levels, window=2)
    assert per_level["item_id"] == pytest.approx((6 * 1 + 4 * np.sqrt(1.5)) / 10)


def test_hierarchical_wrmsse_aggregates_start_at_their_first_sale():
    # B starts on day 3 (NaN before): the total's scale must use days 1-4 of A + B summed, and
    # the store level (one store) must equal the total
    ins = np.array([[1, 2, 1, 2], [np.nan, np.nan, 3, 1]], float)
    y = np.array([[2, 2], [1, 1]], float)
    f = np.array([[2, 2], [1, 1]], float) + 1
    hierarchy = {"item_id": np.array(["A", "B"], object), "store_id": np.array(["S", "S"], object)}
    _, per_level = M.wrmsse_levels(y, f, ins, None, hierarchy, ((), ("store_id",)), window=2)
    # total history 1,2,4,3 -> scale (1+4+1)/3 = 2; error 2 every day -> sqrt(4/2)
    assert per_level["total"] == pytest.approx(np.sqrt(2))
    assert per_level["store_id"] == pytest.approx(per_level["total"])


def _poisson_grid(lam, levels):
    """Exact quantiles of Poisson(lam) at ``levels`` (smallest k with P(Y <= k) >= level)."""
    from math import exp, factorial

    cdf = np.cumsum([exp(-lam) * lam**k / factorial(k) for k in range(60)])
    return np.array([int(np.searchsorted(cdf, lv)) for lv in levels], float)


def test_pit_coverage_of_a_calibrated_count_forecast_is_near_80():
    from forecasting.ml.base import QUANTILES

    rng = np.random.default_rng(0)
    lam = np.where(rng.random(4000) < 0.5, 0.4, 3.0)
    y = rng.poisson(lam)[:, None].astype(float)
    q = np.stack([_poisson_grid(v, QUANTILES) for v in lam])[:, None, :]
    closed = M.coverage(y, q[..., QUANTILES.index(0.1)], q[..., QUANTILES.index(0.9)])
    pit = M.pit_coverage(y, q, QUANTILES)
    assert closed > 0.88          # ties at zero count as hits: the closed interval over-covers
    assert 0.76 < pit < 0.84      # the count-data coverage of the same, calibrated, forecast
    # a forecast half as wide as it should be covers less; twice as wide, more
    med = q[..., QUANTILES.index(0.5)][..., None]
    assert M.pit_coverage(y, np.clip(med + 0.5 * (q - med), 0, None), QUANTILES) < pit - 0.05
    assert M.pit_coverage(y, med + 2.0 * (q - med), QUANTILES) > pit + 0.05


def test_interval_calibration_widens_a_narrow_forecast_and_keeps_a_calibrated_one():
    from forecasting.ml.base import QUANTILES
    from forecasting.ml.intervals import calibrate_interval, scale_around_median as _scale_around_median

    rng = np.random.default_rng(1)
    lam = rng.uniform(0.2, 6.0, 5000)
    y = rng.poisson(lam)[:, None].astype(float)
    q = np.stack([_poisson_grid(v, QUANTILES) for v in lam])[:, None, :]
    k_ok = calibrate_interval(q, y)
    assert 0.8 < k_ok < 1.25
    narrow = _scale_around_median(q, 0.5)
    k = calibrate_interval(narrow, y)
    assert k > 1.5
    assert abs(M.pit_coverage(y, _scale_around_median(narrow, k), QUANTILES) - 0.8) < 0.02  # integer quantiles: coverage moves in small steps
