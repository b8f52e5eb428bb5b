"""The interval-sum calibration: its fractile is the one a fresh holdout says it is."""
import numpy as np

from forecasting.ml import sum_calibration as sc


def test_scores_from_one_holdout_cover_a_fresh_one_at_the_stated_level():
    rng = np.random.default_rng(0)
    N, H = 3000, 28
    rate = rng.gamma(2.0, 2.0, N)
    history = rng.poisson(rate[:, None], (N, 120)).astype(float)
    mean = np.repeat(rate[:, None] * 0.8, H, axis=1)            # a biased forecast: 20 % low
    holdout = rng.poisson(rate[:, None], (N, H)).astype(float)
    cal = sc.fit(history, mean, holdout, np.array(["smooth"] * N))
    assert set(cal["intervals"]) == {"7", "14", "21", "28"}
    levels, q = sc.score_quantiles(cal, 14, "smooth")
    fresh = rng.poisson(rate[:, None], (N, 14)).sum(1)
    centre = mean[:, :14].sum(1)
    S = centre + np.interp(0.833, levels, q) * sc.interval_scale(history, 14, centre)
    assert abs((fresh <= S).mean() - 0.833) < 0.03              # the bias is calibrated away
    naive = centre + 0.967 * np.sqrt(centre)                    # the uncalibrated normal 0.833 quantile
    assert (fresh <= naive).mean() < 0.75
    assert sc.score_quantiles(cal, 30, "lumpy")[1].tolist() == cal["intervals"]["28"]["*"]   # nearest length, pooled
    assert sc.score_quantiles(None, 14, "smooth") is None
