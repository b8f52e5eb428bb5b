"""Quantile recalibration on a shop's recent days (forecasting/ml/recalibration.py): the map
from wanted to model levels, reading quantiles at mapped levels, the guard, and the model's
level map through save, load and training."""
import numpy as np
import pytest
from scipy import stats

from forecasting.ml import recalibration as R
from forecasting.ml.base import QUANTILES, Forecast
from forecasting.ml.train import GlobalForecaster, TrainConfig

from ._synth import make_panel

LV = np.asarray(QUANTILES)
MEDIAN = list(QUANTILES).index(0.5)


def _normal_quantiles(n, h, loc=0.0):
    return np.broadcast_to(loc + stats.norm.ppf(LV), (n, h, LV.size)).copy()


def test_the_map_finds_the_level_a_shifted_demand_reaches():
    """Forecast N(0, 1), demand N(1, 1): half the demand lies below the model's 0.841 quantile."""
    rng = np.random.default_rng(0)
    q = _normal_quantiles(400, 7)
    y = rng.normal(1.0, 1.0, (400, 7))
    m = R.level_map(q, y)
    assert abs(m[MEDIAN] - stats.norm.cdf(1.0)) < 0.03
    assert np.all(np.diff(m) >= 0) and m[0] >= LV[0] and m[-1] <= LV[-1]
    fixed = R.apply(q, m)
    assert abs(np.mean(y < fixed[..., MEDIAN]) - 0.5) < 0.03   # the read median is the demand's
    assert np.all(np.diff(fixed, axis=-1) >= 0)


def test_reading_at_the_identity_map_changes_nothing_and_counts_tie_half():
    q = _normal_quantiles(3, 2, loc=5.0)
    np.testing.assert_allclose(R.apply(q, LV), q)
    # dead items: no demand, every quantile 0; each level covers half (ties), the map is still
    # a map, and the quantiles it reads are the same zeros
    zeros = np.zeros((300, 1, LV.size))
    m = R.level_map(zeros, np.zeros((300, 1)))
    assert np.isfinite(m).all() and np.all(np.diff(m) >= 0)
    np.testing.assert_array_equal(R.apply(zeros, m), zeros)
    with pytest.raises(ValueError, match="at least 200 observed cases"):
        R.level_map(q, np.full((3, 2), np.nan))


def _predictor(shift_by_origin, n=300, h=7, seed=1):
    """The model's quantiles are N(0, 1) at every origin; the demand after origin o is N(shift, 1)."""
    rng = np.random.default_rng(seed)
    T = max(shift_by_origin) + h
    y = rng.normal(5.0, 1.0, (n, T))   # history far from zero, so the pinball's scale is steady
    for o, shift in shift_by_origin.items():
        y[:, o:o + h] = rng.normal(5.0 + shift, 1.0, (n, h))

    def predict(o):
        return Forecast(np.full((n, h), 5.0), _normal_quantiles(n, h, loc=5.0), np.arange(n), None)
    return predict, y


def test_the_guard_keeps_a_map_that_helped_on_the_last_horizon_and_refits_it_there():
    predict, y = _predictor({14: 1.0, 21: 1.0})
    mapping, evidence = R.fit_guarded(predict, y, 28, 7)
    assert evidence["used"] and evidence["check_pinball_recalibrated"] < evidence["check_pinball_raw"]
    assert abs(mapping[MEDIAN] - stats.norm.cdf(1.0)) < 0.04


def test_the_guard_refuses_a_map_the_last_horizon_contradicts_and_a_too_short_history():
    predict, y = _predictor({14: 1.0, 21: -1.0})
    mapping, evidence = R.fit_guarded(predict, y, 28, 7)
    assert mapping is None and not evidence["used"] and "did not lower" in evidence["why"]
    mapping, evidence = R.fit_guarded(predict, y, 20, 7)
    assert mapping is None and evidence["why"] == "needs 21 periods of history, has 20"


def test_the_models_level_map_is_saved_loaded_applied_and_cleared_by_training():
    tc = TrainConfig(seed=0, max_epochs=1, batches_per_epoch=2, batch_size=32, device="cpu")
    model = GlobalForecaster(7, context=21, use_text=False, hidden=16, train=tc, name="small")
    panel = make_panel()
    model.fit(panel, 100)
    raw = model.predict(panel, 100, 7)
    model.level_map = [min(x + 0.05, 0.99) for x in QUANTILES]
    mapped = model.predict(panel, 100, 7)
    np.testing.assert_allclose(mapped.mean, raw.mean)
    assert not np.allclose(mapped.quantiles, raw.quantiles) and (mapped.quantiles >= raw.quantiles - 1e-5).all()
    again = GlobalForecaster.from_bytes(model.to_bytes())
    assert again.level_map == model.level_map
    np.testing.assert_allclose(again.predict(panel, 100, 7).quantiles, mapped.quantiles, rtol=1e-5)
    again.fit(panel, 100)
    assert again.level_map is None
    evidence = again.recalibrate(panel, 100)   # the small panel has too few cases for a map
    assert set(evidence) >= {"used"} and (again.level_map is None) == (not evidence["used"])
