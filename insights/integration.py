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
    """Start forecasting's fine-tuning run if that task exists; returns what happened (for evidence)."""
    try:
        tasks = importlib.import_module("forecasting.tasks")
    except ImportError as exc:
        return {"requested": False, "why": f"forecasting.tasks not importable: {exc}"}
    for name, kwargs in (("finetune_model", {"reason": reason}), ("run_forecast", {"finetune": True, "reason": reason})):
        task = getattr(tasks, name, None)
        if task is None:
            continue
        try:
            result = task.delay(**kwargs)
        except TypeError as exc:
            log.warning("insights: %s refused %s: %s", name, kwargs, exc)
            continue
        return {"requested": True, "task": f"forecasting.tasks.{name}", "task_id": getattr(result, "id", None),
                "at": timezone.now().isoformat()}
    return {"requested": False, "why": "forecasting.tasks has no fine-tuning entry point"}


def drift_inputs() -> list:
    """DriftInputs from the forecasting app's stored forecasts and backtest (empty until it has them)."""
    try:
        selectors = importlib.import_module("forecasting.selectors")
    except ImportError:
        return []
    fn = getattr(selectors, "drift_inputs", None) or getattr(selectors, "rolling_accuracy", None)
    if fn is None:
        return []
    from .rules.drift import DriftInput

    out = []
    for row in fn():
        if isinstance(row, DriftInput):
            out.append(row)
        else:
            out.append(DriftInput(rolling_error=row["rolling_error"], backtest_error=row["backtest_error"],
                                  days_observed=row["days_observed"], metric=row.get("metric", "wape"),
                                  model_version=str(row.get("model_version", "")),
                                  product_id=row.get("product_id"), warehouse_id=row.get("warehouse_id")))
    return out


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
