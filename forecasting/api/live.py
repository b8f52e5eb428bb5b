"""The live forecast: one product x warehouse, computed on demand from the current model.

The model is deserialised once per worker process and kept (keyed by ModelVersion id), so a
request pays only for reading the series' history and one forward pass. When a newer version
becomes current, the next request loads it and the old one is dropped.
"""
from __future__ import annotations

import gc
import threading
import time
from dataclasses import dataclass
from datetime import date

from forecasting import services
from forecasting.ml.base import QUANTILE_NAMES
from forecasting.models import ForecastRun, ModelVersion
from inventory.selectors import last_sales_day

_lock = threading.Lock()
_cache: dict[int, tuple] = {}  # ModelVersion id -> (GlobalForecaster, name); at most one entry


class NoModel(Exception):
    """No trained model version exists yet."""


@dataclass
class LiveForecast:
    model_version: int | None
    model_name: str
    as_of: date
    days: list[dict]
    computed_ms: float


def current_version_id() -> int | None:
    """The version of the current run if it used one, else the newest trained version."""
    run = ForecastRun.objects.filter(is_current=True, model_version__isnull=False).values_list(
        "model_version_id", flat=True).first()
    if run is not None:
        return run
    return ModelVersion.objects.order_by("-created_at", "-id").values_list("id", flat=True).first()


def model_for(version_id: int) -> tuple:
    """(model, name) of a version, deserialised on first use in this process."""
    entry = _cache.get(version_id)
    if entry is not None:
        return entry
    with _lock:
        entry = _cache.get(version_id)
        if entry is None:
            from forecasting.ml.train import GlobalForecaster  # torch: on the first live forecast only

            blob, name = ModelVersion.objects.filter(pk=version_id).values_list("weights", "name").get()
            entry = (GlobalForecaster.from_bytes(bytes(blob)), name)
            _cache.clear()
            _cache[version_id] = entry
            # torch, pandas and the model leave millions of long-lived objects in this process;
            # every full collection walked them all (100-300 ms pauses, the live forecast's p99).
            # Freezing moves what exists now out of the collector's sight; new garbage is collected
            # as usual.
            gc.collect()
            gc.freeze()
    return entry


def loaded_versions() -> list[int]:
    return list(_cache)


def forecast_live(product, warehouse, horizon: int) -> LiveForecast:
    started = time.perf_counter()
    version_id = current_version_id()
    if version_id is None:
        raise NoModel("No trained model yet: start a forecast run with a global model (POST /api/v1/forecast-runs/).")
    model, name = model_for(version_id)
    as_of = last_sales_day() or date.today()
    panel = services.build_panel([(product.pk, warehouse.pk)], as_of, horizon)
    forecast = model.predict(panel, panel.n_obs, horizon)
    days = [
        {"date": day.date(), "mean": float(forecast.mean[0, j]),
         "quantiles": {name: float(forecast.quantiles[0, j, q]) for q, name in enumerate(QUANTILE_NAMES)}}
        for j, day in enumerate(forecast.dates)
    ]
    return LiveForecast(version_id, name, as_of, days, round((time.perf_counter() - started) * 1000, 2))
