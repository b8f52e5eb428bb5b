"""Start real Celery worker processes for tests, pointed at the test database."""
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.db import connection

from inventory_site.celery import app

REPO_ROOT = Path(__file__).resolve().parent.parent


def worker_database_url() -> str | None:
    db = connection.settings_dict
    if db["ENGINE"].endswith("postgresql"):
        return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return None


@contextmanager
def celery_worker(log_path: Path, name: str, queues: str = "default,gpu", extra_env: dict | None = None):
    """A `celery worker` subprocess (solo pool: the task runs in the process we may kill)."""
    env = dict(os.environ)
    if url := worker_database_url():
        env["DATABASE_URL"] = url
    env.update(extra_env or {})
    env.setdefault("OMP_NUM_THREADS", "1")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "inventory_site", "worker", "-Q", queues, "--pool", "solo",
         "--loglevel", "INFO", "--hostname", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle"],
        cwd=REPO_ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while "ready" not in log_path.read_text():
            if process.poll() is not None:
                pytest.fail(f"worker {name} exited early:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"worker {name} did not start within 90 s:\n{log_path.read_text()}")
            time.sleep(0.3)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def clear_broker() -> None:
    """Drop what earlier tests left on the broker: tasks waiting in the queues, and the tasks that
    workers they killed never acknowledged (kombu keeps those in its `unacked` hash and hands them
    out again once their visibility timeout has passed, to whichever worker restores them first)."""
    app.control.purge()
    redis.Redis.from_url(app.conf.broker_url).delete("unacked", "unacked_index", "unacked_mutex")


def wait_for(predicate, timeout: float, message: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(message)
