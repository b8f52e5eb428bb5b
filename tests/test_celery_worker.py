"""A real Celery worker process against the real Redis: a task goes out and its result comes back."""
import pytest
from django.conf import settings
from django.db import connection

from inventory_site.celery import app, ping
from tests.workers import celery_worker

pytestmark = pytest.mark.redis


@pytest.fixture
def worker(tmp_path):
    """A real `celery worker -Q default,gpu` subprocess, against the test database."""
    with celery_worker(tmp_path / "worker.log", "test") as process:
        yield process


def test_tasks_are_not_eager_when_a_broker_is_configured():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert app.conf.task_always_eager is False


def _ping_runs(client) -> float:
    for line in client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode().splitlines():
        if line.startswith('stockcast_task_runs_total{task="stockcast.ping"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_and_returns_its_result(worker, client):
    runs_before = _ping_runs(client)
    result = ping.delay(with_database=True)
    answer = result.get(timeout=30)
    assert answer["pong"] is True and answer["database"] == connection.settings_dict["NAME"]
    # The worker recorded the task in Redis, where the web's /metrics reads it.
    assert _ping_runs(client) == runs_before + 1


@pytest.mark.django_db(transaction=True)
def test_gpu_queue_is_consumed(worker):
    result = ping.apply_async(queue="gpu")
    assert result.get(timeout=30)["pong"] is True
