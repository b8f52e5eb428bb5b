"""A pretrained checkpoint against training from scratch on one data set (issue #17).

    python -m bench.forecast --dataset m5_tiny --pretrained var/pretrained/daily-no-m5.stockcast
                             [--train-seconds 120] [--short-history] [--no-peers | --peers lightgbm,fracast]
                             [--json out.json]
    python -m bench.forecast --sales my_sales.csv --pretrained      # the shipped checkpoint

Rows, every one scored on the same rolling origins as bench.forecast's:
- ``pretrained_zero_shot``: the checkpoint as the product uses it zero-shot: its quantile levels
  recalibrated at each origin on the two horizons before it where that helps there
  (forecasting/ml/recalibration.py), its weights as they are;
- ``pretrained_zero_shot_raw``: the checkpoint's own quantiles, untouched;
- ``pretrained_finetuned``: trained from the checkpoint on the history before each origin;
- ``global_tide``: today's default, trained from scratch on the same history;
- the classical baselines (seasonal naive first), and the peers unless ``--no-peers``:
  statsforecast's, LightGBM, and ``fracast`` (bench/fracast_peer.py).

``--train-seconds`` gives both trainings the same budget (fine-tuning also stops early on its
own: a third of the epochs). ``--short-history`` keeps only the last 13 weeks (91 days) of
history before the first origin (the later origins see one and two horizons more), the case of
a shop that has just installed stockcast. For an honest zero-shot row the checkpoint must not
have seen the data set: pretrain it with ``--leave-out``.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from forecasting.ml.backtest import BacktestResult, backtest
from forecasting.ml.baselines import all_baselines
from forecasting.ml.data import DataError, Panel
from forecasting.ml.train import GlobalForecaster, TrainConfig
from forecasting.ml.trainer import pretrained_finetuning
from forecasting.pretrain import shipped_checkpoint

SHORT_DAYS = {"D": 91, "W": 13}
SHIPPED = "shipped"  # --pretrained without a file: the checkpoint of the data's frequency in the repo


def checkpoint_file(named: str, freq: str) -> Path:
    return shipped_checkpoint(freq) if named == SHIPPED else Path(named)


def shortened(panel: Panel, first_origin: int) -> tuple[Panel, int]:
    """The panel from SHORT_DAYS before ``first_origin`` on; returns it and the shift of its grid."""
    cut = max(first_origin - SHORT_DAYS[panel.freq], 0)
    keep = slice(cut, None)
    short = Panel(panel.ids, panel.dates[keep], panel.freq, panel.y[:, keep], panel.price[:, keep],
                  panel.promo[:, keep], panel.event[:, keep], panel.snap[:, keep], panel.category,
                  panel.description, n_obs=panel.n_obs - cut, extra=dict(panel.extra))  # per series: the hierarchy
    return short, cut


class Recalibrated:
    """The checkpoint zero-shot as the product uses it (forecasting/services.py): at each origin
    its quantile levels are recalibrated on the two horizons before it, when the guard lets them
    (GlobalForecaster.recalibrate), then it forecasts. ``evidence``: one dict per origin."""

    name = "pretrained_zero_shot"

    def __init__(self, model: GlobalForecaster):
        self.model, self.evidence = model, []

    def predict(self, panel: Panel, origin: int, horizon: int):
        self.evidence.append(self.model.recalibrate(panel, origin))
        return self.model.predict(panel, origin, horizon)


def run(panel: Panel, origins, horizon: int, checkpoint: bytes, tc: TrainConfig, peers,
        failures: dict | None = None) -> dict[str, BacktestResult]:
    """``peers(panel, origins)`` -> list of BacktestResult (bench.forecast's statsforecast and
    LightGBM runs), or None to skip them. A model that cannot train on so short a history is
    left out of the results and its error put in ``failures``."""
    failures = {} if failures is None else failures
    results: dict[str, BacktestResult] = {}
    for m in all_baselines(panel.freq):
        results[m.name] = backtest(panel, m, horizon, origins, fit=True)
    zero = GlobalForecaster.from_bytes(checkpoint)
    if zero.horizon != horizon:
        raise SystemExit(f"--pretrained: the checkpoint forecasts {zero.horizon} steps, this benchmark {horizon}")
    zero.name = "pretrained_zero_shot_raw"
    results[zero.name] = backtest(panel, zero, horizon, origins, fit=False)
    recalibrated = Recalibrated(GlobalForecaster.from_bytes(checkpoint))
    results[recalibrated.name] = backtest(panel, recalibrated, horizon, origins, fit=False)
    # fine-tuned as the product fine-tunes the checkpoint (forecasting/starts.py, services.train)
    tuned = GlobalForecaster(horizon, train=pretrained_finetuning(tc, origins[0], panel.freq),
                             name="pretrained_finetuned",
                             init_from=GlobalForecaster.from_bytes(checkpoint))
    scratch = GlobalForecaster(horizon, train=tc, name="global_tide")
    for model in (tuned, scratch):
        try:
            results[model.name] = backtest(panel, model, horizon, origins, fit=True)
        except DataError as exc:  # too little history to train at all: the row says so
            failures[model.name] = str(exc)
    for r in (peers(panel, origins) if peers is not None else []):
        results[r.name] = r
    return results


def fracast_row(panel: Panel, origins, horizon: int) -> BacktestResult:
    from bench.fracast_peer import FracastPeer  # imported here: benchmark-only, and it loads weights

    return backtest(panel, FracastPeer(), horizon, origins, fit=False)


def budget(tc: TrainConfig, seconds: float | None) -> TrainConfig:
    return tc if seconds is None else replace(tc, max_seconds=seconds)


def ratio_rows(results: dict[str, BacktestResult]) -> list[dict]:
    sn = results.get("seasonal_naive")
    rows = []
    for name, r in results.items():
        o = r.overall
        base = sn.overall.get("wrmsse") if sn else None
        base_mase = sn.overall.get("mase_p50") if sn else None
        rows.append({"model": name, "wrmsse": o.get("wrmsse"), "mase": o.get("mase"), "mase_p50": o.get("mase_p50"),
                     "wrmsse_vs_seasonal_naive": (o["wrmsse"] / base) if base and o.get("wrmsse") is not None else None,
                     "mase_p50_vs_seasonal_naive": (o["mase_p50"] / base_mase)
                     if base_mase and o.get("mase_p50") is not None else None,
                     "fit_seconds": round(r.fit_seconds, 1), "predict_seconds": round(r.predict_seconds, 2)})
    return rows
