"""Stock-out runs: flagged only where the series' own rate makes the silence improbable."""
import numpy as np

from forecasting.ml.availability import mask_unavailable, unavailable_runs


def test_a_long_silence_of_a_steady_seller_is_flagged_a_slow_seller_is_left_alone():
    rng = np.random.default_rng(0)
    steady = rng.poisson(10, 200).astype(np.float32)
    steady[100:130] = 0                      # 30 days without a sale at ~10 a day: a stock-out
    slow = np.zeros(200, np.float32)
    slow[::25] = 1                            # one sale every 25 days: 24-day gaps are normal
    short = rng.poisson(10, 200).astype(np.float32)
    short[50:60] = 0                          # 10 quiet days: shorter than the minimum run
    flags = unavailable_runs(np.stack([steady, slow, short]))
    assert flags[0, 100:130].all() and flags[0].sum() == 30
    assert not flags[1].any() and not flags[2].any()


def test_the_threshold_follows_the_rate_and_nan_is_not_a_zero():
    y = np.full((2, 120), np.nan, np.float32)
    y[0, :60] = 1.0
    y[0, 60:80] = 0.0                        # 20 zeros at rate ~0.75: e^-15, improbable
    y[1, :60] = 0.2 * (np.arange(60) % 5 == 0) * 5  # 1 every 5 days: rate ~0.2
    y[1, 60:80] = 0.0                        # 20 zeros at rate ~0.15: e^-3, chance
    flags = unavailable_runs(y)
    assert flags[0, 60:80].all() and not flags[0, 80:].any()   # the NaN future is not part of the run
    assert not flags[1].any()
    masked = mask_unavailable(y)
    assert np.isnan(masked[0, 60:80]).all() and masked[0, 10] == 1.0
    assert not np.isnan(y[0, 60:80]).any()   # the input is not modified


def test_a_run_is_judged_on_the_history_it_is_given():
    """At an origin inside a silence, only the days before the origin count: 10 days of a
    20-day run are too short to flag, so no later day decides about an earlier forecast."""
    y = np.ones((1, 100), np.float32) * 5
    y[0, 60:80] = 0
    upto = y.copy()
    upto[0, 70:] = np.nan
    assert unavailable_runs(y)[0, 60:80].all()
    assert not unavailable_runs(upto)[0].any()


def _runs_one_by_one(y, min_run, max_chance):
    """The definition, series by series and run by run (the vectorised code must agree)."""
    flags = np.zeros(y.shape, bool)
    for i, row in enumerate(y):
        seen = row[~np.isnan(row)]
        rate = seen.sum() / max(len(seen), 1)
        if rate <= 0:
            continue
        k_min = max(min_run, int(np.ceil(np.log(1 / max_chance) / rate)))
        j = 0
        while j < len(row):
            if row[j] == 0:
                k = j
                while k < len(row) and row[k] == 0:
                    k += 1
                if k - j >= k_min:
                    flags[i, j:k] = True
                j = k
            else:
                j += 1
    return flags


def test_the_whole_panel_at_once_agrees_with_the_definition_run_by_run():
    rng = np.random.default_rng(7)
    for _ in range(25):
        n, t = int(rng.integers(1, 30)), int(rng.integers(1, 250))
        y = rng.poisson(rng.gamma(0.5, 2, size=(n, 1)), size=(n, t)).astype(np.float32)
        for i in range(n):   # stock-outs, late starts, an unobserved future; runs touching row ends
            if rng.random() < 0.6:
                a = int(rng.integers(0, t))
                y[i, a:a + int(rng.integers(1, 90))] = 0
            if rng.random() < 0.3:
                y[i, :int(rng.integers(0, t))] = np.nan
            if rng.random() < 0.3:
                y[i, int(rng.integers(0, t)):] = np.nan
        min_run, max_chance = int(rng.integers(1, 20)), float(10 ** -rng.uniform(1, 5))
        np.testing.assert_array_equal(unavailable_runs(y, min_run, max_chance), _runs_one_by_one(y, min_run, max_chance))
