"""Celery entry points of insights. All idempotent (acks_late redelivers a task whose worker died)."""
from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task

from . import notify, watch


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
    from forecasting.models import ForecastRun

    run = ForecastRun.objects.filter(pk=run_id).first() if run_id else None
    today = run.as_of + timedelta(days=1) if run is not None and run.as_of else None
    return {"stock": watch.check_stock(today=today), "drift": watch.check_drift(), "run_id": run_id}


@shared_task(bind=True, name="insights.tasks.deliver_webhook", max_retries=notify.MAX_RETRIES, acks_late=True)
def deliver_webhook(self, delivery_id: int) -> bool:
    """POST one webhook delivery; on 5xx / network errors retry with exponential back-off."""
    ok, retryable = notify.attempt_delivery(delivery_id)
    if ok or not retryable:
        return ok
    if self.request.retries >= self.max_retries:
        notify.mark_failed(delivery_id)
        return False
    raise self.retry(countdown=notify.backoff_seconds(self.request.retries))


@shared_task(bind=True, name="insights.tasks.send_alert_email", max_retries=3, acks_late=True)
def send_alert_email(self, alert_id: int, event: str, emails: list[str]) -> int:
    try:
        return notify.send_email_now(alert_id, event, emails)
    except OSError as exc:  # SMTP down: try again later
        raise self.retry(exc=exc, countdown=notify.backoff_seconds(self.request.retries, base=60))
