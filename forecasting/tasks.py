"""Celery entry points.

``run_forecast`` creates a ForecastRun and dispatches
``train_model`` (routed to the ``gpu`` queue by its name) -> a chord of ``predict_shard``
tasks (one per shard, any worker) -> ``finalize_run``, which makes the run current only if
every shard wrote every row.  Any failure marks the run failed with its error and leaves
the previous current run untouched.  A worker killed mid-run leaves the run 'running'
(still not current); ``mark_stale_runs`` (every five minutes, by beat) marks it failed once
its heartbeat has stopped for five minutes.
"""
from __future__ import annotations

import logging

from celery import chain, chord, group, shared_task

from inventory_site.heartbeat import Heartbeat

from . import services
from .models import ForecastRun
from .signals import forecast_run_succeeded

log = logging.getLogger(__name__)


def _guard(run_id: int, fn, *args):
    try:
        return fn(*args)
    except Exception as exc:
        services.mark_failed(run_id, exc)
        raise


@shared_task(name="forecasting.tasks.train_model", acks_late=True)
def train_model(run_id: int) -> int | None:
    run = ForecastRun.objects.get(pk=run_id)
    if run.status in (ForecastRun.Status.FAILED, ForecastRun.Status.SUCCEEDED):
        return run.model_version_id  # redelivered after the run ended: nothing left to do
    services.start(run)
    with Heartbeat(ForecastRun, run_id):
        version = _guard(run_id, services.train, run)
    return version.pk if version else None


@shared_task(name="forecasting.tasks.predict_shard", acks_late=True)
def predict_shard(run_id: int, shard: int, n_shards: int) -> int:
    run = ForecastRun.objects.select_related("model_version").get(pk=run_id)
    if run.status in (ForecastRun.Status.FAILED, ForecastRun.Status.SUCCEEDED):
        return 0
    with Heartbeat(ForecastRun, run_id):
        return _guard(run_id, services.predict_shard, run, shard, n_shards)


@shared_task(name="forecasting.tasks.finalize_run", acks_late=True)
def finalize_run(_shard_rows=None, run_id: int | None = None) -> str:
    run = ForecastRun.objects.get(pk=run_id)
    _guard(run_id, services.finalize, run)
    # The run is current now: suggestions and risk alerts follow it (their apps listen).
    forecast_run_succeeded.send(sender=finalize_run, run_id=run_id)
    return "succeeded"


@shared_task(name="forecasting.tasks.fail_run")
def fail_run(*args, run_id: int | None = None, **kwargs) -> None:
    """Error callback: whatever failed, the run is failed (its error may already be set)."""
    run = ForecastRun.objects.filter(pk=run_id).first()
    if run and run.status != ForecastRun.Status.FAILED:
        services.mark_failed(run_id, "a task of the run failed (see the worker log)")


@shared_task(name="forecasting.tasks.mark_stale_runs")
def mark_stale_runs(max_hours: float = 12.0) -> int:
    """Beat, every few minutes: runs whose worker stopped beating are failed."""
    return services.mark_stale_runs(max_hours)


def forecast_signature(run: ForecastRun):
    shards = group(predict_shard.si(run.pk, i, run.n_shards) for i in range(run.n_shards))
    return chain(train_model.si(run.pk), chord(shards, finalize_run.s(run_id=run.pk))).on_error(
        fail_run.s(run_id=run.pk))


@shared_task(name="forecasting.tasks.run_forecast")
def run_forecast(model: str = "global_tide", horizon: int = 28, shards: int = 4, options: dict | None = None) -> int:
    """Nightly / on-demand entry point; returns the run id (the run finishes asynchronously
    on a real broker, inline when tasks are eager)."""
    services.mark_stale_runs()
    run = services.create_run(model, horizon, shards, options)
    forecast_signature(run).apply_async()
    return run.pk
