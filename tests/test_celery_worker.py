"""A real Celery worker process against the real Redis: a task goes out and its result comes back."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from inventory_site.celery import app, ping

pytestmark = pytest.mark.redis
REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def worker(tmp_path):
    """Start `celery worker -Q default,gpu` in a subprocess, against the test database."""
    env = dict(os.environ)
    db = connection.settings_dict
    if db["ENGINE"].endswith("postgresql"):
        env["DATABASE_URL"] = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "inventory_site", "worker", "-Q", "default,gpu",
         "--pool", "solo", "--loglevel", "INFO", "--hostname", f"test-{os.getpid()}@%h"],
        cwd=REPO_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "ready" in log.read_text():
                break
            if process.poll() is not None:
                pytest.fail(f"worker exited early:\n{log.read_text()}")
            time.sleep(0.3)
        else:
            pytest.fail(f"worker did not start within 60 s:\n{log.read_text()}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def test_tasks_are_not_eager_when_a_broker_is_configured():
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert app.conf.task_always_eager is False


@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_task_and_returns_its_result(worker):
    result = ping.delay(with_database=True)
    answer = result.get(timeout=30)
    assert answer["pong"] is True and answer["database"] == connection.settings_dict["NAME"]


@pytest.mark.django_db(transaction=True)
def test_gpu_queue_is_consumed(worker):
    result = ping.apply_async(queue="gpu")
    assert result.get(timeout=30)["pong"] is True
