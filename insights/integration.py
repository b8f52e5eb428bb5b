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
    """The forecasting model's own with/without-promotion totals, where it has them.

    The forecasting app builds its panel with the *saved* promotions (inventory.Promotion) and
    stores, per forecast row, the parts of the mean (level, calendar, price, promotion) from
    counterfactual re-predictions. So for a pair that has a saved promotion over [start, end]
    and explained rows for every day of it, ``with`` is the forecast and ``without`` is the
    forecast less its price and promotion parts. Returns {(product_id, warehouse_id):
    {"with_mean", "without_mean", "discount"}} (discount of the saved promotion, 0-1), or None
    when the forecasting app is not installed.
    """
    try:
        from forecasting.models import Forecast, ForecastRun
        from inventory.models import Promotion
    except ImportError:
        return None
    run = ForecastRun.objects.filter(is_current=True).first()
    if run is None or not pairs:
        return {}
    saved = {}
    promos = Promotion.objects.exclude(status=Promotion.Status.CANCELLED).filter(
        start_date__lte=end, end_date__gte=start).prefetch_related("products", "warehouses")
    for promo in promos:
        for p in promo.products.all():
            for w in promo.warehouses.all():
                if (p.pk, w.pk) in pairs:
                    saved[(p.pk, w.pk)] = max(saved.get((p.pk, w.pk), 0.0), float(promo.discount_pct) / 100)
    if not saved:
        return {}
    days = (end - start).days + 1
    out = {}
    rows = Forecast.objects.filter(run=run, date__gte=start, date__lte=end,
                                   product_id__in={p for p, _ in saved}, warehouse_id__in={w for _, w in saved}) \
        .values_list("product_id", "warehouse_id", "mean", "explanation")
    acc: dict = {}
    for p, w, mean, expl in rows:
        if (p, w) not in saved:
            continue
        a = acc.setdefault((p, w), [0, 0.0, 0.0, True])
        a[0] += 1
        a[1] += mean
        if not expl:
            a[3] = False
            continue
        a[2] += max(mean - expl.get("price", 0.0) - expl.get("promotion", 0.0), 0.0)
    for key, (n, with_mean, without_mean, explained) in acc.items():
        if n == days and explained and without_mean > 0:
            out[key] = {"with_mean": with_mean, "without_mean": without_mean, "discount": saved[key]}
    return out
