"""The pretraining corpus puts every source on one grid without moving its weekdays, and the
pretraining script writes a checkpoint the model loads again (issue #17)."""
import json

import numpy as np
import pandas as pd
import pytest

from forecasting.ml.data import DataError
from forecasting.ml.train import GlobalForecaster
from forecasting.pretrain import __main__ as script
from forecasting.pretrain import corpus, synthetic


def _source(start: str, n: int, days: int, seed: int):
    p = synthetic.generate(n, days, seed=seed, start=start)
    p.extra = {}
    return p


@pytest.fixture
def sources(monkeypatch):
    fake = {"old": ("D", lambda: _source("2011-01-29", 3, 400, 1)),
            "recent": ("D", lambda: _source("2023-03-01", 2, 200, 2)),
            "weekly": ("W", lambda: synthetic.generate(2, 140, seed=3, freq="W", start="2010-12-06"))}
    monkeypatch.setattr(corpus, "REAL", fake)
    return fake


def test_every_source_keeps_its_weekdays_and_values_on_the_grid(sources):
    panel = corpus.build("D", generated=4, seed=0)
    assert list(np.unique(panel.extra["source"])) == ["generated", "old", "recent"]
    assert panel.dates[-1] == corpus.ANCHOR["D"] and panel.n_days == corpus.GRID_DAYS["D"]
    for name in ("old", "recent"):
        original = sources[name][1]()
        rows = panel.extra["source"] == name
        years = corpus.shift_onto(original.dates, panel.dates[-1])
        at = panel.dates.get_indexer(original.dates + pd.Timedelta(days=364 * years))
        assert (at >= 0).all() and at[-1] > panel.n_days - 365  # ends in the grid's last year
        assert (panel.dates[at].dayofweek == original.dates.dayofweek).all()
        assert np.array_equal(panel.y[rows][:, at], original.y, equal_nan=True)
        outside = np.ones(panel.n_days, bool)
        outside[at] = False
        assert np.isnan(panel.y[rows][:, outside]).all()
        assert all(i.startswith(f"{name}:") for i in panel.ids[rows])
    weekly = corpus.build("W", generated=0)
    assert (weekly.dates.dayofweek == 0).all() and list(np.unique(weekly.extra["source"])) == ["weekly"]


def test_a_source_can_be_left_out_by_name(sources):
    assert "old" not in set(corpus.build("D", leave_out="old", generated=0).extra["source"])
    with pytest.raises(DataError, match="leave_out"):
        corpus.build("D", leave_out="nope")
    with pytest.raises(DataError, match="no source"):
        corpus.build("W", leave_out="weekly", generated=0)


def test_the_script_writes_a_checkpoint_that_forecasts_a_new_catalogue(sources, tmp_path):
    out = tmp_path / "daily.stockcast"
    assert script.main(["--freq", "D", "--seconds", "3", "--generated", "30", "--out", str(out)]) == 0
    card = json.loads((tmp_path / "daily.stockcast.json").read_text())
    assert card["corpus"]["sources"] == {"generated": 30, "old": 3, "recent": 2}
    assert card["bytes"] == out.stat().st_size < 30_000_000
    model = GlobalForecaster.from_bytes(out.read_bytes())
    new = synthetic.generate(3, 28, seed=9)  # 3 products x 28 days the model never saw
    first = model.predict(new, new.n_obs, 28)
    again = GlobalForecaster.from_bytes(out.read_bytes()).predict(new, new.n_obs, 28)
    assert first.mean.shape == (3, 28) and np.isfinite(first.mean).all()
    assert np.array_equal(first.mean, again.mean)


def test_the_weekly_corpus_generates_a_grocers_half_and_a_long_tail_half():
    """Half the weekly generated series are drawn with the default ranges, half with
    synthetic.LONG_TAIL (slow movers and early phase-outs), under two seeds so no id repeats;
    the daily corpus is all defaults."""
    weekly = corpus.build("W", generated=400, seed=0, loaders={})
    assert weekly.n_series == 400 and len(set(weekly.ids)) == 400
    halves = np.array([i.split("-")[1] for i in weekly.ids])
    assert sorted(np.unique(halves, return_counts=True)[1]) == [200, 200]
    sold_weeks = np.nanmean(np.nan_to_num(weekly.y[:, -26:]) > 0, axis=1)
    slow = {h: np.mean(sold_weeks[halves == h] < 0.2) for h in np.unique(halves)}
    assert slow[max(slow, key=slow.get)] > slow[min(slow, key=slow.get)] + 0.15
    daily = corpus.build("D", generated=20, seed=0, loaders={})
    assert len({i.split("-")[1] for i in daily.ids}) == 1
