"""Where insights meets the other apps whose code lands in parallel (forecasting, replenishment).

Everything here degrades to a clear, recorded "not available" instead of failing, so that
alerts work before (and without) a trained model.
"""
from __future__ import annotations

import importlib
import logging

from django.utils import timezone

log = logging.getLogger(__name__)


def request_finetune(reason: str) -> dict:
    """Start a forecasting run that fine-tunes the current model on the newest data.

    forecasting.tasks.run_forecast fine-tunes the latest model version by default; we repeat the
    current run's model and horizon and say why in its options. Returns what happened (kept in
    the alert's evidence). With eager tasks (embedded mode) the run goes to a background thread,
    because training must not hold up the check that noticed the drift.
    """
    try:
        tasks = importlib.import_module("forecasting.tasks")
        from forecasting.models import ForecastRun
    except ImportError as exc:
        return {"requested": False, "why": f"forecasting is not installed: {exc}"}
    task = getattr(tasks, "run_forecast", None)
    if task is None:
        return {"requested": False, "why": "forecasting.tasks has no run_forecast"}
    current = ForecastRun.objects.filter(is_current=True).first()
    kwargs = {"options": {"finetune": True, "reason": reason[:500]}}
    if current is not None:
        kwargs.update(model=current.model_name, horizon=current.horizon)
    from django.conf import settings

    if settings.CELERY_TASK_ALWAYS_EAGER:
        import threading

        def run():
            from django.db import connection

            try:
                task.apply(kwargs=kwargs)
            except Exception:  # noqa: BLE001 - logged; the alert stays open either way
                log.exception("insights: fine-tuning run failed")
            finally:
                connection.close()

        threading.Thread(target=run, daemon=True, name="insights-finetune").start()
        return {"requested": True, "task": "forecasting.tasks.run_forecast", "mode": "background thread",
                "kwargs": kwargs, "at": timezone.now().isoformat()}
    result = task.delay(**kwargs)
    return {"requested": True, "task": "forecasting.tasks.run_forecast", "task_id": result.id, "kwargs": kwargs,
            "at": timezone.now().isoformat()}


def drift_inputs() -> list:
    """DriftInputs for the current forecasting model (empty until a run with a backtest exists)."""
    try:
        from .forecast_link import drift_inputs as from_forecasts
    except ImportError:  # the forecasting app is not installed
        return []
    return from_forecasts()


def promotion_counterfactual(pairs, start, end) -> dict | None:
    """The forecasting model's own with/without-promotion means per pair, if it offers them.

    Expected (when forecasting adds it): forecasting.selectors.promotion_counterfactual(pairs, start, end)
    -> {(product_id, warehouse_id): {"with_mean": float, "without_mean": float}}.
    """
    try:
        selectors = importlib.import_module("forecasting.selectors")
    except ImportError:
        return None
    fn = getattr(selectors, "promotion_counterfactual", None)
    return fn(pairs, start, end) if fn else None
