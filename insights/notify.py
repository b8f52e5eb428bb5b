"""Alert notifications: e-mail through Django's mail backend, JSON webhooks signed with HMAC-SHA256.

Nothing here runs inside the request or transaction that raised the alert: services call
:func:`dispatch` after commit, which records one WebhookDelivery per endpoint and hands it to
Celery (``deliver_webhook``, defined here beside the delivery it runs, retried with exponential
back-off; insights.tasks lists it with the app's other tasks). In the embedded mode (no broker,
eager tasks) the same deliveries run on a daemon thread so that a slow receiver still never
blocks the caller.

Receivers verify ``X-Stockcast-Signature: sha256=<hex>`` = HMAC-SHA256(secret, f"{timestamp}.{body}")
with ``X-Stockcast-Timestamp`` (reject old timestamps to stop replays) and may de-duplicate on
``X-Stockcast-Delivery``.
"""
from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import threading
import time

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import close_old_connections, connection
from django.utils import timezone

from inventory_site import outbound

from .models import Alert, EmailRecipient, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

MAX_RETRIES = 6
BACKOFF_BASE_S = 30.0
BACKOFF_CAP_S = 3600.0
TIMEOUT_S = 10.0
# Statuses worth retrying: the receiver is down, overloaded or timed out; other 4xx mean "no".
RETRYABLE_4XX = {408, 409, 425, 429}


def backoff_seconds(retries_done: int, base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S) -> float:
    """Delay before retry number ``retries_done + 1``: base, 2*base, 4*base, ... capped."""
    return float(min(base * (2 ** retries_done), cap))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (used by our tests and documented for integrators)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature or "")


def alert_payload(alert: Alert, event: str) -> dict:
    return {
        "event": event,
        "alert": {
            "id": alert.pk, "kind": alert.kind, "severity": alert.severity, "status": alert.status,
            "product": alert.product.sku if alert.product_id else None,
            "warehouse": alert.warehouse.code if alert.warehouse_id else None,
            "message": alert.message, "evidence": alert.evidence,
            "opened_at": alert.opened_at.isoformat(), "updated_at": alert.updated_at.isoformat(),
            "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
            "occurrences": alert.occurrences,
        },
    }


def dispatch(alert_id: int, event: str) -> list[int]:
    """Queue the e-mails and webhook deliveries for one alert event; returns the delivery ids."""
    alert = Alert.objects.select_related("product", "warehouse").filter(pk=alert_id).first()
    if alert is None:
        return []
    payload = alert_payload(alert, event)
    ids = []
    for endpoint in WebhookEndpoint.objects.filter(active=True):
        if endpoint.wants(alert):
            ids.append(WebhookDelivery.objects.create(endpoint=endpoint, alert=alert, event=event,
                                                      payload=payload).pk)
    emails = [r.email for r in EmailRecipient.objects.filter(active=True) if r.wants(alert)]
    # Only state changes that need a person go by e-mail; acknowledgements stay on the web.
    if emails and event in ("alert.opened", "alert.escalated"):
        _enqueue("email", alert.pk, event, emails)
    for delivery_id in ids:
        _enqueue("webhook", delivery_id)
    return ids


def _enqueue(what: str, *args) -> None:
    task = deliver_webhook if what == "webhook" else send_alert_email
    if getattr(settings, "INSIGHTS_NOTIFY_INLINE", False):
        _run_locally(what, *args)  # tests: synchronous and observable
    elif settings.CELERY_TASK_ALWAYS_EAGER:
        threading.Thread(target=_run_in_thread, args=(what, *args), daemon=True,
                         name=f"insights-{what}-{args[0]}").start()
    else:
        task.delay(*args)


def _run_locally(what: str, *args, sleep=time.sleep) -> None:
    if what == "webhook":
        deliver_with_retries(args[0], sleep=sleep)
    else:
        send_email_now(*args)


def _run_in_thread(what: str, *args) -> None:
    close_old_connections()
    try:
        _run_locally(what, *args)
    except Exception:  # a background notifier must never take the process down
        log.exception("insights: background %s notification failed", what)
    finally:
        connection.close()


def attempt_delivery(delivery_id: int) -> tuple[bool, bool]:
    """One POST of a delivery. Returns ``(delivered, retryable)`` and records the attempt."""
    d = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    if d.delivered_at:
        return True, False  # idempotent: a redelivered task does not post twice
    body = json.dumps(d.payload, sort_keys=True, separators=(",", ":"), default=str).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json", "User-Agent": "stockcast-alerts/1",
        "X-Stockcast-Event": d.event, "X-Stockcast-Delivery": str(d.pk), "X-Stockcast-Timestamp": ts,
        "X-Stockcast-Signature": sign(d.endpoint.secret, ts, body)}
    status, error = None, ""
    try:
        # The outbound policy again at connect time: the URL was checked when saved, but DNS may
        # answer differently now, and rows written before the policy existed were never checked.
        status = outbound.post(d.endpoint.url, body, headers, TIMEOUT_S)
        if not 200 <= status < 300:
            error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    except outbound.OutboundRefused as exc:
        WebhookDelivery.objects.filter(pk=d.pk).update(
            attempts=d.attempts + 1, last_status=None, last_error=f"Refused by the outbound policy: {exc}"[:2000],
            failed=True)
        return False, False
    except (TimeoutError, OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"
    ok = status is not None and 200 <= status < 300
    retryable = not ok and (status is None or status >= 500 or status in RETRYABLE_4XX)
    WebhookDelivery.objects.filter(pk=d.pk).update(
        attempts=d.attempts + 1, last_status=status, last_error=error[:2000],
        delivered_at=timezone.now() if ok else None, failed=not ok and not retryable)
    return ok, retryable


def mark_failed(delivery_id: int) -> None:
    WebhookDelivery.objects.filter(pk=delivery_id).update(failed=True)


def deliver_with_retries(delivery_id: int, *, max_retries: int = MAX_RETRIES, base: float = BACKOFF_BASE_S,
                         sleep=time.sleep) -> bool:
    """The embedded-mode loop (the Celery task does the same with countdowns)."""
    for retry in range(max_retries + 1):
        ok, retryable = attempt_delivery(delivery_id)
        if ok or not retryable:
            return ok
        if retry < max_retries:
            sleep(backoff_seconds(retry, base))
    mark_failed(delivery_id)
    return False


def send_email_now(alert_id: int, event: str, emails: list[str]) -> int:
    alert = Alert.objects.select_related("product", "warehouse").get(pk=alert_id)
    where = " / ".join(x for x in (alert.product.sku if alert.product_id else "",
                                   alert.warehouse.code if alert.warehouse_id else "") if x)
    subject = f"[stockcast {alert.severity}] {alert.get_kind_display()}{' ' + where if where else ''}"
    body = f"{alert.message}\n\nEvent: {event}\nAlert #{alert.pk}, opened {alert.opened_at:%Y-%m-%d %H:%M} UTC.\n"
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, emails)


@shared_task(bind=True, name="insights.tasks.deliver_webhook", max_retries=MAX_RETRIES, acks_late=True)
def deliver_webhook(self, delivery_id: int) -> bool:
    """POST one webhook delivery; on 5xx / network errors retry with exponential back-off."""
    ok, retryable = attempt_delivery(delivery_id)
    if ok or not retryable:
        return ok
    if self.request.retries >= self.max_retries:
        mark_failed(delivery_id)
        return False
    raise self.retry(countdown=backoff_seconds(self.request.retries))


@shared_task(bind=True, name="insights.tasks.send_alert_email", max_retries=3, acks_late=True)
def send_alert_email(self, alert_id: int, event: str, emails: list[str]) -> int:
    try:
        return send_email_now(alert_id, event, emails)
    except OSError as exc:  # SMTP down: try again later
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries, base=60))
