"""The generated part of the pretraining corpus (issue #17): seeded, and each series has the
structure its drawn parameters say, checked on samples."""
import numpy as np
import pytest

from forecasting.ml.data import DataError
from forecasting.pretrain.synthetic import LONG_TAIL, MAX_CELLS, Ranges, generate

# A week or a promotion wholly out of stock has no known day: its mean is NaN, and skipped.
pytestmark = pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")


@pytest.fixture(scope="module")
def panel():
    return generate(1500, 730, seed=3)


def _plain(panel):
    """Series that exist over the whole grid (no launch, no phase-out)."""
    p = panel.extra["params"]
    return (p["first_day"] == 0) & (p["last_day"] < 0)


def test_the_same_seed_gives_the_same_panel_and_another_seed_another():
    a, b, c = generate(50, 120, seed=7), generate(50, 120, seed=7), generate(50, 120, seed=8)
    assert np.array_equal(a.y, b.y, equal_nan=True) and np.array_equal(a.price, b.price)
    assert not np.array_equal(a.y, c.y, equal_nan=True)


def test_intermittent_series_have_the_zero_share_their_occurrence_says(panel):
    p = panel.extra["params"]
    # a day with demand is almost never a zero at these levels and dispersions, so zeros come
    # from the occurrence draw alone
    pick = _plain(panel) & (p["occurrence"] < 0.5) & (p["level"] > 20) & (p["dispersion"] > 3)
    assert pick.sum() >= 10
    y = panel.y[pick]
    zero_share = np.nansum(y == 0, axis=1) / np.sum(~np.isnan(y), axis=1)
    assert np.abs(zero_share - (1 - p["occurrence"][pick])).max() < 0.1
    smooth = _plain(panel) & (p["occurrence"] == 1) & (p["level"] > 20) & (p["dispersion"] > 3)
    assert np.nanmean(panel.y[smooth] == 0) < 0.02
    assert {"smooth", "intermittent", "lumpy", "erratic"} <= set(panel.category)


def test_weekly_seasonality_is_in_the_days_of_the_week(panel):
    p = panel.extra["params"]
    pick = (_plain(panel) & (p["level"] > 20) & (p["occurrence"] == 1) & (p["dispersion"] > 3)
            & (p["weekly_factors"].std(axis=1) > 0.25))
    assert pick.sum() >= 10
    dow = panel.dates.dayofweek.to_numpy()
    weeks = panel.n_days // 7
    for row, promo, event, factors in zip(panel.y[pick], panel.promo[pick], panel.event[pick],
                                          p["weekly_factors"][pick]):
        # each day against its week's mean (trend, yearly season and shifts cancel), promotion
        # and event days left out, the median over weeks per day of the week
        y = np.where((promo == 0) & (event == 0), row, np.nan)[:weeks * 7].reshape(weeks, 7)
        ratio = y / np.nanmean(row[:weeks * 7].reshape(weeks, 7), axis=1, keepdims=True)
        profile = np.nanmedian(ratio, axis=0)
        order = dow[:7]
        assert np.corrcoef(np.log(profile), factors[order])[0, 1] > 0.8


def test_promotion_days_sell_more(panel):
    has = panel.promo.sum(axis=1) >= 10
    ratios = [np.nanmean(y[m == 1]) / max(np.nanmean(y[m == 0]), 1e-9)
              for y, m in zip(panel.y[has], panel.promo[has]) if np.nanmean(y[m == 0]) > 1]
    assert len(ratios) >= 50 and np.nanmedian(ratios) > 1.2
    assert np.all(panel.price[panel.promo == 1] > 0)


def test_stock_outs_and_days_before_a_launch_are_unknown(panel):
    p = panel.extra["params"]
    before_launch = np.arange(panel.n_days)[None, :] < p["first_day"][:, None]
    assert np.array_equal(np.isnan(panel.y), before_launch | panel.extra["stockout"])
    assert panel.extra["stockout"].any() and before_launch.any()
    retired = p["last_day"] >= 0
    assert retired.any()
    assert np.nansum(panel.y[retired][:, -1]) == 0  # a phased-out series sells nothing at the end


def test_weekly_panels_are_the_days_summed_by_week():
    daily, weekly = generate(40, 140, seed=5), generate(40, 140, seed=5, freq="W")
    assert weekly.freq == "W" and weekly.n_days == 20
    sums = daily.y.reshape(40, 20, 7).sum(axis=2)
    assert np.array_equal(weekly.y, sums.astype(np.float32), equal_nan=True)
    assert np.isnan(weekly.y).any()  # a week with a stock-out day is unknown


def test_the_long_tail_has_slow_movers_and_products_that_stop_selling_soon_after_launch():
    """The weekly corpus's ranges: occurrence log-uniform down to 1 day in 500 (as many slow
    movers as fast ones), phase-outs anywhere after the first tenth of the grid, launched
    products among them, each phased out only after its launch and ramp."""
    panel = generate(3000, 728, seed=2, ranges=LONG_TAIL)
    p = panel.extra["params"]
    occ = p["occurrence"][p["occurrence"] < 1]
    assert occ.min() >= 0.002 and occ.max() <= 1
    # log-uniform over [0.002, 1]: half the draws lie below the geometric mean, about 0.045
    assert abs(np.mean(occ < np.sqrt(0.002)) - 0.5) < 0.05
    retired = p["last_day"] >= 0
    launched = p["first_day"] > 0
    assert 0.28 < retired.mean() < 0.42
    assert (retired & launched).sum() >= 50
    assert np.all(p["last_day"][retired & launched] > p["first_day"][retired & launched])
    assert (p["last_day"][retired] < 0.3 * 728).sum() >= 50  # some stop in the first third
    assert np.nansum(panel.y[retired][:, -1]) == 0
    # by week, many products sold in under a fifth of their last 26 weeks, as a gift shop's do
    weekly = generate(3000, 728, seed=2, ranges=LONG_TAIL, freq="W")
    sold_weeks = np.nanmean(np.nan_to_num(weekly.y[:, -26:]) > 0, axis=1)
    assert 0.3 < np.mean(sold_weeks < 0.2) < 0.7


def test_the_default_ranges_are_unchanged_by_the_long_tail_fields():
    """The shipped daily checkpoint was trained on the defaults: the new fields default to the
    draws it saw (uniform occurrence, phase-outs from 0.6 of the grid, launched never retired)."""
    p = generate(2000, 400, seed=4).extra["params"]
    occ = p["occurrence"][p["occurrence"] < 1]
    assert occ.min() >= 0.05
    retired = p["last_day"] >= 0
    assert not (retired & (p["first_day"] > 0)).any()
    assert p["last_day"][retired].min() >= int(0.6 * 400)
    with pytest.raises(DataError, match="occurrence_draw"):
        generate(5, 100, ranges=Ranges(occurrence_draw="normal"))


@pytest.mark.parametrize("kwargs, field", [({"n_series": 0, "n_days": 100}, "n_series"),
                                           ({"n_series": 5, "n_days": 10}, "n_days"),
                                           ({"n_series": 5, "n_days": 100, "freq": "M"}, "freq"),
                                           ({"n_series": MAX_CELLS // 100 + 1, "n_days": 100}, "n_series x n_days")])
def test_bad_sizes_are_refused_by_name(kwargs, field):
    with pytest.raises(DataError, match=field):
        generate(**kwargs)
