import numpy as np
import pytest

from forecasting.ml.base import QUANTILES
from forecasting.ml.baselines import SBA, TSB, Croston, MovingAverage, Naive, SeasonalNaive, all_baselines, croston_rate, count_quantiles

from ._synth import make_panel


def test_point_forecasts_by_hand():
    p = make_panel(n=2, t=30, start_late=False)
    p.y[0, :] = np.arange(30)
    o = 21  # history y[0] = 0..20
    assert np.all(Naive().predict(p, o, 3).mean[0] == 20)
    assert SeasonalNaive(7).predict(p, o, 8).mean[0].tolist() == [14, 15, 16, 17, 18, 19, 20, 14]
    assert MovingAverage(4).predict(p, o, 2).mean[0] == pytest.approx([18.5, 18.5])


def test_croston_sba_tsb_by_hand():
    # demands 4 (interval 2) then 2 (interval 3): z = 4 + .5(2-4) = 3; p = 2 + .5(3-2) = 2.5
    y = np.array([[0, 4, 0, 0, 2.0]])
    assert croston_rate(y, alpha=0.5)[0] == pytest.approx(3 / 2.5)
    assert croston_rate(y, alpha=0.5, variant="sba")[0] == pytest.approx(0.75 * 3 / 2.5)
    # TSB: d starts at 1/2 at the first demand, then .5 steps: day2 -> .25, day3 -> .125, day4 -> .5625
    assert croston_rate(y, alpha=0.5, variant="tsb", beta=0.5)[0] == pytest.approx(0.5625 * 3)


def test_tsb_decays_after_demand_stops_but_croston_does_not():
    y = np.array([[3, 0, 3, 0, 3] + [0] * 30], float)
    assert croston_rate(y, variant="tsb")[0] < 0.2 * croston_rate(y, variant="croston")[0]


@pytest.mark.parametrize("model", all_baselines("D"), ids=lambda m: m.name)
def test_quantiles_sorted_nonnegative_and_cover_mean(model):
    p = make_panel()
    fc = model.predict(p, 120, 14)
    assert fc.mean.shape == (8, 14) and fc.quantiles.shape == (8, 14, len(QUANTILES))
    assert np.all(np.diff(fc.quantiles, axis=-1) >= 0)
    assert np.all(fc.quantiles >= 0) and np.isfinite(fc.quantiles).all()
    # the mean of a count forecast sits inside its own 1..99 % range
    assert np.all(fc.mean <= fc.q(0.99) + 1e-6)


def test_count_quantiles_match_poisson_and_widen_with_dispersion():
    m = np.full((1, 1), 4.0)
    pois = count_quantiles(m, np.array([1.0]))[0, 0]
    nb = count_quantiles(m, np.array([4.0]))[0, 0]
    from scipy import stats
    assert pois[QUANTILES.index(0.9)] == stats.poisson.ppf(0.9, 4.0)
    assert nb[-1] > pois[-1] and nb[0] <= pois[0]


def test_baselines_survive_bad_histories():
    p = make_panel(n=3, t=20, start_late=False)
    p.y[0] = 0.0            # all zeros
    p.y[1, :19] = np.nan    # a single observed day
    p.y[2] = np.nan         # nothing observed yet
    for m in (Naive(), SeasonalNaive(), MovingAverage(), Croston(), SBA(), TSB()):
        fc = m.predict(p, 20, 7)
        assert np.isfinite(fc.mean).all() and np.isfinite(fc.quantiles).all(), m.name
        assert np.all(fc.mean[0] == 0)


def test_origin_zero_is_a_clear_error():
    with pytest.raises(ValueError, match="origin"):
        Naive().predict(make_panel(), 0, 7)
