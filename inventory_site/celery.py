"""The Celery application: JSON only, late acknowledgement, two queues (default and gpu).

Tasks must be idempotent because acks_late redelivers a task whose worker died mid-way.
"""
import os
import socket

from celery import Celery
from celery.schedules import crontab
from django.db import connection
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inventory_site.settings")

# Every task is delivery-capped (inventory_site/celery_tasks.py): late acknowledgement must not
# turn a task that kills its worker into one that kills every worker in turn.
app = Celery("inventory_site", task_cls="inventory_site.celery_tasks:DeliveryCappedTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_default_queue="default",
    task_queues=(Queue("default"), Queue("gpu")),
    # Training is the one job that wants an accelerator: route it to workers started with -Q gpu.
    task_routes={"forecasting.tasks.train*": {"queue": "gpu"},
                 "replenishment.tasks.train_rl_policy": {"queue": "gpu"}},
    result_expires=24 * 3600,
    broker_connection_retry_on_startup=True,
    timezone="UTC",
)
# The nightly schedule; task names are resolved by the worker when beat fires them.
app.conf.beat_schedule = {
    "nightly-forecast": {
        "task": "forecasting.tasks.run_forecast",
        "schedule": crontab(hour=2, minute=0),
    },
    # Stock-out, overstock, anomaly, drift and stale-data checks between the nightly runs.
    "insights-hourly-checks": {"task": "insights.tasks.run_checks", "schedule": crontab(minute=17)},
    # Work whose worker died (no heartbeat for five minutes) is failed, and old uploads deleted.
    "forecasting-stale-runs": {"task": "forecasting.tasks.mark_stale_runs", "schedule": crontab(minute="*/5")},
    "inventory-sweep-imports": {"task": "inventory.sweep_imports", "schedule": crontab(minute="*/5")},
    # The learned reorder policy, retrained weekly on the catalogue's demand profiles (gpu queue),
    # before the nightly replay weighs it against the rules.
    "replenishment-weekly-rl": {"task": "replenishment.tasks.train_rl_policy",
                                "schedule": crontab(day_of_week=0, hour=1, minute=10)},
    # Each pair's ordering method, re-chosen nightly from a replay of its recent history.
    "replenishment-nightly-replay": {"task": "replenishment.tasks.replay_policies",
                                     "schedule": crontab(hour=2, minute=40)},
}
app.autodiscover_tasks()

# Task durations and failures for /metrics (signal handlers; imported for their side effect).
from .observability import task_stats  # noqa: E402,F401


@app.task(name="stockcast.ping", acks_late=False)
def ping(with_database: bool = False) -> dict:
    """Answered by any worker: readiness probes and tests use it to see a worker is consuming."""
    answer = {"pong": True, "worker": socket.gethostname()}
    if with_database:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        answer["database"] = connection.settings_dict["NAME"]
    return answer
