"""Webhooks reach a real local HTTP receiver, correctly signed, and are retried with back-off on 500."""
import json

import pytest
from django.core import mail

from insights import notify, services, tasks
from insights.models import EmailRecipient, WebhookDelivery, WebhookEndpoint
from insights.rules import Assessment
from tests.factories import make_product, make_warehouse
from tests.insights.receivers import Receiver

pytestmark = pytest.mark.django_db

SECRET = "s3cret-shared-with-the-receiver"


@pytest.fixture(autouse=True)
def receiver_on_loopback_allowed(settings):
    """These receivers listen on 127.0.0.1, which the outbound policy refuses unless an operator allows it."""
    settings.OUTBOUND_ALLOW_HTTP = True
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]


def _alert():
    a, _ = services.raise_or_update(Assessment("stockout_risk", make_product().pk, make_warehouse().pk, True,
                                               "critical", "will run out", {"probability": 0.8}))
    return a


def test_webhook_payload_is_signed_and_delivered(settings, django_capture_on_commit_callbacks):
    settings.INSIGHTS_NOTIFY_INLINE = True
    with Receiver([200]) as rx:
        WebhookEndpoint.objects.create(name="ops", url=rx.url, secret=SECRET)
        with django_capture_on_commit_callbacks(execute=True):
            alert = _alert()
        assert len(rx.requests) == 1
        headers, body = rx.requests[0]
    assert notify.verify(SECRET, headers["X-Stockcast-Timestamp"], body, headers["X-Stockcast-Signature"])
    assert not notify.verify("wrong-secret", headers["X-Stockcast-Timestamp"], body, headers["X-Stockcast-Signature"])
    assert not notify.verify(SECRET, headers["X-Stockcast-Timestamp"], body + b" ", headers["X-Stockcast-Signature"])
    payload = json.loads(body)
    assert payload["event"] == "alert.opened" and payload["alert"]["id"] == alert.pk
    assert payload["alert"]["evidence"]["probability"] == 0.8
    d = WebhookDelivery.objects.get()
    assert d.delivered_at and d.attempts == 1 and d.last_status == 200


def test_retries_with_exponential_backoff_when_receiver_answers_500(settings):
    settings.INSIGHTS_NOTIFY_INLINE = True
    with Receiver([500, 500, 200]) as rx:
        endpoint = WebhookEndpoint.objects.create(name="ops", url=rx.url, secret=SECRET)
        alert = _alert()
        d = WebhookDelivery.objects.create(endpoint=endpoint, alert=alert, event="alert.opened",
                                           payload=notify.alert_payload(alert, "alert.opened"))
        slept = []
        assert notify.deliver_with_retries(d.pk, base=0.5, sleep=slept.append) is True
        assert len(rx.requests) == 3
    assert slept == [0.5, 1.0]  # back-off doubles
    d.refresh_from_db()
    assert d.attempts == 3 and d.delivered_at and not d.failed
    # every retry is signed afresh and verifies
    for headers, body in rx.requests:
        assert notify.verify(SECRET, headers["X-Stockcast-Timestamp"], body, headers["X-Stockcast-Signature"])


def test_celery_task_retries_then_gives_up(monkeypatch):
    # Eager retries re-apply inline; let them run instead of raising Retry to the caller.
    monkeypatch.setitem(tasks.deliver_webhook.app.conf, "task_eager_propagates", False)
    with Receiver([500] * 20) as rx:
        endpoint = WebhookEndpoint.objects.create(name="ops", url=rx.url, secret=SECRET)
        alert = _alert()
        d = WebhookDelivery.objects.create(endpoint=endpoint, alert=alert, event="alert.opened", payload={"x": 1})
        # Eager apply runs each retry at once (countdowns are a worker's business); count them.
        tasks.deliver_webhook.apply(args=[d.pk], throw=False)
        assert len(rx.requests) == notify.MAX_RETRIES + 1
    d.refresh_from_db()
    assert d.failed and d.delivered_at is None and d.last_status == 500
    assert [notify.backoff_seconds(n) for n in range(4)] == [30.0, 60.0, 120.0, 240.0]


def test_client_error_is_not_retried(settings):
    with Receiver([400, 200]) as rx:
        endpoint = WebhookEndpoint.objects.create(name="ops", url=rx.url, secret=SECRET)
        alert = _alert()
        d = WebhookDelivery.objects.create(endpoint=endpoint, alert=alert, event="alert.opened", payload={})
        assert notify.deliver_with_retries(d.pk, sleep=lambda s: None) is False
        assert len(rx.requests) == 1
    d.refresh_from_db()
    assert d.failed


def test_email_to_recipients_who_want_the_severity(settings, django_capture_on_commit_callbacks):
    settings.INSIGHTS_NOTIFY_INLINE = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailRecipient.objects.create(email="buyer@example.com", min_severity="critical")
    EmailRecipient.objects.create(email="boss@example.com", min_severity="critical", kinds=["overstock"])
    with django_capture_on_commit_callbacks(execute=True):
        _alert()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["buyer@example.com"]
    assert "Stock-out risk" in mail.outbox[0].subject


def test_eager_mode_hands_delivery_to_a_background_thread(settings, monkeypatch):
    """Embedded mode (no broker): dispatch starts a daemon thread and returns; it never POSTs inline."""
    started = []

    class FakeThread:
        def __init__(self, target, args, daemon, name):
            started.append((target, args, daemon))

        def start(self):
            pass

    settings.INSIGHTS_NOTIFY_INLINE = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    monkeypatch.setattr(notify.threading, "Thread", FakeThread)
    WebhookEndpoint.objects.create(name="ops", url="http://127.0.0.1:9/never-answers", secret=SECRET)
    alert = _alert()
    ids = notify.dispatch(alert.pk, "alert.opened")
    assert len(ids) == 1 and started == [(notify._run_in_thread, ("webhook", ids[0]), True)]
    assert WebhookDelivery.objects.get().attempts == 0
