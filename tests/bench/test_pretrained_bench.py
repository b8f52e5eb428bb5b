"""bench.forecast --pretrained gives its rows from a checkpoint on any long file (issue #17)."""
import json

import pandas as pd

from bench import forecast
from forecasting.ml.data import long_from_panel
from forecasting.pretrain import __main__ as pretrain_script
from forecasting.pretrain import corpus, synthetic


def test_the_pretrained_rows_on_a_small_file(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "REAL", {})  # generated demand only: the test reads no shared data
    checkpoint = tmp_path / "daily.stockcast"
    assert pretrain_script.main(["--freq", "D", "--seconds", "2", "--generated", "40", "--out", str(checkpoint)]) == 0
    shop = long_from_panel(synthetic.generate(12, 200, seed=11))
    sales = tmp_path / "shop.csv"
    shop[["unique_id", "ds", "y"]].assign(ds=pd.to_datetime(shop["ds"]).dt.date).to_csv(sales, index=False)
    out = tmp_path / "bench.json"
    assert forecast.main(["--sales", str(sales), "--pretrained", str(checkpoint), "--quick", "--no-peers",
                          "--train-seconds", "2", "--short-history", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert {"pretrained_zero_shot", "pretrained_finetuned", "global_tide", "seasonal_naive"} <= set(doc["models"])
    assert doc["short_history"] and doc["models"]["seasonal_naive"]["wrmsse_vs_seasonal_naive"] == 1.0
    assert all(m["wrmsse"] is not None for m in doc["models"].values())


def test_without_a_file_named_it_uses_the_shipped_checkpoint_of_the_data_frequency(tmp_path):
    shop = long_from_panel(synthetic.generate(6, 400, freq="W", seed=3))  # 57 weeks, summed by week
    sales = tmp_path / "weekly.csv"
    shop[["unique_id", "ds", "y"]].assign(ds=pd.to_datetime(shop["ds"]).dt.date).to_csv(sales, index=False)
    out = tmp_path / "bench.json"
    assert forecast.main(["--sales", str(sales), "--pretrained", "--quick", "--no-peers", "--train-seconds", "2",
                          "--short-history", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["checkpoint"].endswith("forecasting/checkpoints/weekly.stockcast") and doc["dataset"] == "weekly.csv"
    # 13 weeks before the first origin: too few to train at horizon 8 (18 needed), so only the
    # checkpoint, zero-shot, and the baselines have rows, and the table says why the others lack one
    assert "pretrained_zero_shot" in doc["models"] and "global_tide" not in doc["models"]
    assert "need at least 18 weeks of history" in doc["cannot_train"]["global_tide"]
    assert doc["models"]["pretrained_zero_shot"]["mase_p50"] is not None
