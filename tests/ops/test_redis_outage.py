"""Redis stopped: pages and read endpoints keep working, task-starting endpoints answer 503 with
a clear message, and work queued before the outage is done when Redis comes back.

The test runs its own Redis (append-only file on, as production should be configured) so that
stopping it disturbs nothing else, and a real gunicorn and a real worker against the test DB.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from rest_framework.authtoken.models import Token

from forecasting.models import ForecastRun
from inventory_site.roles import PLANNER
from tests.workers import REPO_ROOT, celery_worker, worker_database_url, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(port: int, folder) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--appendonly", "yes",
         "--appendfsync", "always", "--save", ""],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    wait_for(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG",
             20, "private Redis did not start")
    return process


def call(url, method="GET", token=None, body=None, cookie=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_redis_outage(small_history, tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    planner = User.objects.create_user("ops-planner", password="a-long-test-password")
    planner.groups.add(Group.objects.get(name=PLANNER))
    token = Token.objects.create(user=planner).key
    session = SessionStore()
    session["_auth_user_id"], session["_auth_user_backend"] = str(planner.pk), "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = planner.get_session_auth_hash()
    session.create()
    cookie = f"sessionid={session.session_key}"

    redis_port, web_port = free_port(), free_port()
    broker = f"redis://127.0.0.1:{redis_port}/0"
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "CELERY_BROKER_URL": broker,
           "ALLOWED_HOSTS": "127.0.0.1", "REDIS_URL": ""}
    redis_process = start_redis(redis_port, tmp_path)
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "inventory_site.wsgi", "-b", f"127.0.0.1:{web_port}", "-w", "1", "-t", "60"],
        cwd=REPO_ROOT, env=env, stdout=(tmp_path / "web.log").open("w"), stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{web_port}"
    try:
        wait_for(lambda: _up(base), 60, "gunicorn did not start")
        status, body = call(f"{base}/api/v1/forecast-runs/", "POST", token, {"model": "seasonal_naive", "horizon": 7, "shards": 2})
        assert status == 202, body
        queued_run = json.loads(body)["run_id"]

        subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown"], check=False)
        redis_process.wait(timeout=20)

        assert call(f"{base}/api/v1/products/", token=token)[0] == 200
        assert call(f"{base}/api/v1/stock-levels/", token=token)[0] == 200
        page_status, page = call(f"{base}/", cookie=cookie)
        assert page_status == 200 and "stockcast" in page
        status, body = call(f"{base}/api/v1/forecast-runs/", "POST", token, {"model": "seasonal_naive", "horizon": 7})
        assert status == 503, body
        assert "broker" in json.loads(body)["error"]["message"].lower()
        ready_status, ready = call(f"{base}/readyz")
        assert ready_status == 503 and json.loads(ready)["checks"]["broker"].startswith("error")

        redis_process = start_redis(redis_port, tmp_path)  # same folder: the append-only file replays
        with celery_worker(tmp_path / "worker.log", "after-outage", extra_env={"CELERY_BROKER_URL": broker}):
            run = wait_for(lambda: _done(queued_run), 120, "the run queued before the outage was not done")
        assert run.status == ForecastRun.Status.SUCCEEDED, run.error
    finally:
        web.terminate()
        web.wait(timeout=30)
        if redis_process.poll() is None:
            redis_process.terminate()
            redis_process.wait(timeout=20)


def _up(base):
    try:
        return call(f"{base}/healthz")[0] == 200
    except OSError:
        return False


def _done(run_id):
    run = ForecastRun.objects.get(pk=run_id)
    return run if run.status in (ForecastRun.Status.SUCCEEDED, ForecastRun.Status.FAILED) else None
