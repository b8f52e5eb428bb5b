"""Celery task statistics shared between worker processes and the web's /metrics.

Workers record each task's duration and outcome in Redis (a hash per task name), because
Prometheus scrapes the web processes, not the workers. Without Redis (eager mode) the numbers
stay in this process, which is where eager tasks run.
"""
import logging
import time
from collections import defaultdict

import redis
from celery import signals
from django.conf import settings
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

logger = logging.getLogger(__name__)
_KEY = "stockcast:task-stats:"
_QUEUES = ("default", "gpu")
_local: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
_started: dict[str, float] = {}


def _redis():
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        return None
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def _record(task_name: str, field: str, amount: float) -> None:
    client = _redis()
    if client is None:
        _local[task_name][field] += amount
        return
    try:
        client.hincrbyfloat(_KEY + task_name, field, amount)
    except Exception:  # metrics must never fail a task
        logger.warning("could not record task statistics for %s", task_name, exc_info=True)


@signals.task_prerun.connect
def _task_started(task_id=None, task=None, **kwargs):
    _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    started = _started.pop(task_id, None)
    if started is not None and task is not None:
        _record(task.name, "seconds", time.perf_counter() - started)
        _record(task.name, "runs", 1)


@signals.task_failure.connect
def _task_failed(sender=None, **kwargs):
    if sender is not None:
        _record(sender.name, "failures", 1)


def _all_stats() -> dict[str, dict[str, float]]:
    client = _redis()
    if client is None:
        return {name: dict(values) for name, values in _local.items()}
    try:
        stats = {}
        for key in client.scan_iter(match=_KEY + "*"):
            name = key.decode()[len(_KEY):]
            stats[name] = {k.decode(): float(v) for k, v in client.hgetall(key).items()}
        return stats
    except Exception:
        logger.warning("task statistics unavailable", exc_info=True)
        return {}


def collect_task_metrics():
    seconds = CounterMetricFamily("stockcast_task_seconds", "Seconds spent in tasks, by task.", labels=["task"])
    runs = CounterMetricFamily("stockcast_task_runs", "Tasks finished, by task.", labels=["task"])
    failures = CounterMetricFamily("stockcast_task_failures", "Tasks failed, by task.", labels=["task"])
    for name, values in sorted(_all_stats().items()):
        seconds.add_metric([name], values.get("seconds", 0.0))
        runs.add_metric([name], values.get("runs", 0.0))
        failures.add_metric([name], values.get("failures", 0.0))
    yield from (seconds, runs, failures)


def collect_queue_lengths():
    gauge = GaugeMetricFamily("stockcast_queue_length", "Messages waiting in a Celery queue.", labels=["queue"])
    client = _redis()
    if client is not None:
        try:
            for queue in _QUEUES:
                gauge.add_metric([queue], client.llen(queue))
        except Exception:
            logger.warning("queue lengths unavailable", exc_info=True)
    yield gauge
