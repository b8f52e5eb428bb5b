"""Health checks: the only views, with the login page and /metrics, that answer without login.

/healthz: the process is alive. /readyz: each dependency checked and reported; 503 when the
database or the broker is unreachable. Workers are reported but only fail readiness when
READYZ_REQUIRE_WORKER is set: pages and reads keep working without them, so a worker outage
should not take every web instance out of the load balancer.
"""
import logging

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from inventory_site.celery import app

log = logging.getLogger(__name__)


def _failed(check: str, exc: Exception) -> str:
    """The probe's answer says which dependency failed, not how: exception names and messages go
    to the log (they describe the inside: drivers, hosts, ports)."""
    log.warning("readiness check %s failed: %s: %s", check, exc.__class__.__name__, exc)
    return "error: unreachable"


@login_not_required
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as exc:  # any driver error means "not ready"
        return _failed("database", exc)


def check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "ok"  # tasks run in-process: there is no broker to reach
    url = settings.CELERY_BROKER_URL
    try:
        redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping()
        return "ok"
    except Exception as exc:
        return _failed("broker", exc)


def check_workers() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "ok: in-process (eager)"
    try:
        replies = app.control.ping(timeout=1.0)
    except Exception as exc:
        return _failed("workers", exc)
    return f"ok: {len(replies)} answering" if replies else "error: no worker answered"


@login_not_required
@require_GET
def readyz(request):
    checks = {"database": check_database(), "broker": check_broker(), "workers": check_workers()}
    required = ["database", "broker"] + (["workers"] if settings.READYZ_REQUIRE_WORKER else [])
    ready = all(checks[name].startswith("ok") for name in required)
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
