"""The forecast that was in force on a past day, rebuilt for replays of the shop's history.

A replay of base-stock at a past origin must order up to what that day's forecast said, not
what the sales around it say. Retention prunes an old run's forecast rows down to the days
it was in force (forecasting/retention.py), too few for a protection interval, but it never
deletes runs or their model versions, and a model forecasts the same from the same history.
So the forecast in force on day ``d`` is rebuilt as its run made it: the latest succeeded run
whose data ended on or before ``d``, predicting again from the panel up to that run's
``as_of`` (``services.build_panel``, as ``services.predict_shard`` does), read from ``d + 1``
on, as a live decision reads the current run's rows from the day after it decides. A run
whose forecast has ended by ``d``, or whose model version is gone, leaves ``d`` without one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from forecasting.ml.classify import classify

from . import services
from .models import ForecastRun
from .selectors import succeeded_runs


@dataclass
class RunForecast:
    """One run's forecast, rebuilt, for the requested pairs."""

    run_id: int
    as_of: date
    mean: np.ndarray          # (N, horizon) daily means from as_of + 1; NaN rows: the pair was not in the run
    classes: np.ndarray       # (N,) demand class at as_of ("" where not in the run)
    calibration: dict | None  # the run's interval-sum calibration (forecasting/ml/sum_calibration.py)

    def from_day(self, day: date) -> np.ndarray:
        """(N, days left) the daily means of the days after ``day``."""
        return self.mean[:, (day - self.as_of).days:]


def run_in_force(day: date, runs: list[dict]) -> dict | None:
    """The run whose forecast a decision on ``day`` read: the latest succeeded run whose data
    ended on or before ``day`` (``runs`` as ``selectors.succeeded_runs`` returns them)."""
    chosen = None
    for r in runs:
        if r["as_of"] <= day:
            chosen = r
    return chosen


def rebuild(run: ForecastRun, keys: list[tuple[int, int]]) -> RunForecast:
    """``run``'s forecast of ``keys`` (product id, warehouse id), predicted again by its model."""
    model = services.load_model(run)
    panel = services.build_panel(keys, run.as_of, run.horizon)
    fc = model.predict(panel, panel.n_obs, run.horizon)
    row = {k: i for i, k in enumerate(panel.extra["keys"])}
    where = np.array([row.get(tuple(k), -1) for k in keys])
    mean = np.full((len(keys), run.horizon), np.nan)
    mean[where >= 0] = np.asarray(fc.mean, float)[where[where >= 0]]
    cls = classify(panel.y[:, :panel.n_obs])
    classes = np.array([cls[i] if i >= 0 else "" for i in where], dtype=object)
    return RunForecast(run.pk, run.as_of, mean, classes, (run.metrics or {}).get("decision_calibration"))


def forecasts_in_force(keys: list[tuple[int, int]], days: list[date], log=None) -> dict:
    """{day: RunForecast or None} for each decision day; each run in force is rebuilt once."""
    say = log or (lambda message: None)
    runs = succeeded_runs()
    built: dict[int, RunForecast | None] = {}
    out = {}
    for day in days:
        r = run_in_force(day, runs)
        if r is None:
            out[day] = None
            continue
        if r["id"] not in built:
            run = ForecastRun.objects.select_related("model_version").get(pk=r["id"])
            try:
                built[r["id"]] = rebuild(run, keys)
                say(f"  forecast of run {run.pk} (data to {run.as_of}) rebuilt for {len(keys)} pairs")
            except services.ForecastError as e:      # its model version was deleted
                built[r["id"]] = None
                say(f"  run {run.pk}'s forecast cannot be rebuilt ({e}); its days use the sales history")
        f = built[r["id"]]
        out[day] = f if f is not None and (day - f.as_of).days < f.mean.shape[1] else None
    return out
