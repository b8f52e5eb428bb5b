"""Celery entry points of insights. All idempotent (acks_late redelivers a task whose worker died)."""
from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task

from forecasting.models import ForecastRun

from . import watch

# The delivery tasks live beside the deliveries they run; importing them here registers them
# with the worker, which loads each app's tasks module.
from .notify import deliver_webhook, send_alert_email  # noqa: F401


def _day(value):
    return date.fromisoformat(value) if value else None


@shared_task(name="insights.tasks.run_checks")
def run_checks(today: str | None = None) -> dict:
    """Every alert check; beat runs it hourly, imports and forecast runs call it when they finish."""
    return watch.run_all(_day(today))


@shared_task(name="insights.tasks.check_stock")
def check_stock(today: str | None = None) -> dict:
    return watch.check_stock(_day(today))


@shared_task(name="insights.tasks.check_anomalies")
def check_anomalies(today: str | None = None) -> dict:
    return watch.check_anomalies(_day(today))


@shared_task(name="insights.tasks.check_stale")
def check_stale(today: str | None = None) -> dict:
    return watch.check_stale(_day(today))


@shared_task(name="insights.tasks.check_drift")
def check_drift() -> dict:
    return watch.check_drift()


@shared_task(name="insights.tasks.after_import")
def after_import(warehouse_ids: list[int] | None = None) -> dict:
    """Run after a sales import: new sales can open or close stale-data and anomaly alerts."""
    return {"stale": watch.check_stale(), "anomaly": watch.check_anomalies(),
            "stock": watch.check_stock(warehouse_ids=warehouse_ids)}


@shared_task(name="insights.tasks.after_forecast")
def after_forecast(run_id: int | None = None) -> dict:
    """Run after a forecast run succeeded: new quantiles change stock risk; accuracy may drift.

    Stock risk is judged from the day after the run's last sales day, where its forecast
    starts: today in daily operation, and the right day when a historical data set is loaded.
    """
    run = ForecastRun.objects.filter(pk=run_id).first() if run_id else None
    today = run.as_of + timedelta(days=1) if run is not None and run.as_of else None
    return {"stock": watch.check_stock(today=today), "drift": watch.check_drift(), "run_id": run_id}
