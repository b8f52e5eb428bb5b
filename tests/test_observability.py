"""Monitoring endpoints: metrics (restricted), readiness per dependency, request ids, lock-out."""
import json
import logging

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from django.urls import reverse

from inventory import services
from tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


def test_metrics_are_served_to_loopback_with_request_and_domain_figures(client):
    client.get("/healthz")
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'stockcast_http_requests_total{method="GET",status="2xx",view="healthz"}' in body
    assert "stockcast_db_queries_per_request_bucket" in body
    assert "stockcast_sales_data_age_days" in body and "stockcast_queue_length" in body


def test_metrics_refused_to_other_addresses_unless_token(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    settings.METRICS_TOKEN = "s3cret-token"
    ok = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


def test_eager_task_statistics_appear_in_metrics(client, settings):
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        pytest.skip("eager path only; the worker path is tested in tests/test_celery_worker.py")
    from inventory_site.celery import ping

    ping.delay()
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'stockcast_task_runs_total{task="stockcast.ping"}' in body


def test_readyz_reports_each_dependency_and_fails_without_database(client, monkeypatch):
    body = client.get("/readyz").json()
    assert set(body["checks"]) == {"database", "broker", "workers"}
    from inventory_site import health

    monkeypatch.setattr(health, "check_database", lambda: "error: OperationalError")
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_request_id_is_echoed_and_logged(client, caplog):
    product, warehouse = make_product(), make_warehouse()
    services.receive(product, warehouse, 1)
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nINFO fake")
    assert forged["X-Request-ID"] != "bad id\nINFO fake" and len(forged["X-Request-ID"]) == 32


def test_json_log_lines_carry_the_request_id():
    from pythonjsonlogger.json import JsonFormatter

    from inventory_site.observability.request_id import RequestIdFilter, request_id_var

    record = logging.LogRecord("stockcast", logging.INFO, __file__, 1, "hello", None, None)
    token = request_id_var.set("req-42")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter("%(levelname)s %(name)s %(request_id)s %(message)s").format(record))
    assert line["request_id"] == "req-42" and line["message"] == "hello"


@override_settings(
    AXES_ENABLED=True,
    AUTHENTICATION_BACKENDS=["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"],
    AXES_FAILURE_LIMIT=3,
)
def test_login_locks_out_after_repeated_failures(client):
    User.objects.create_user("planner", password="the-right-password-123")
    for _ in range(3):
        client.post(reverse("login"), {"username": "planner", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "planner", "password": "the-right-password-123"})
    assert locked.status_code == 429 and b"Too many failed log-ins" in locked.content
    assert "_auth_user_id" not in client.session
