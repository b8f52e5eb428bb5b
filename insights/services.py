"""Every alert write: raise-or-update with de-duplication, auto-resolve, acknowledge, resolve.

Each is one transaction under a row lock on the active alert of the subject, so that two
checks running at once update one alert instead of opening two (the partial unique constraint
alert_one_active_per_subject backs this up in the database). Notifications go out only after
the transaction commits, through Celery, so a slow webhook never holds a lock or a request.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import forecast_link, notify
from .errors import AlertTransitionError
from .models import SEVERITY_RANK, Alert, AlertKind, subject_key
from .rules.base import Assessment
from .thresholds import is_trivial

log = logging.getLogger(__name__)


@dataclass
class ApplyReport:
    opened: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    resolved: list = field(default_factory=list)
    unchanged: int = 0

    def as_dict(self) -> dict:
        return {"opened": len(self.opened), "updated": len(self.updated), "resolved": len(self.resolved),
                "unchanged": self.unchanged}


def _active(key: str):
    return Alert.objects.select_for_update().filter(subject_key=key, status__in=Alert.ACTIVE_STATUSES).first()


def _notify_after_commit(alert_id: int, event: str) -> None:
    transaction.on_commit(lambda: notify.dispatch(alert_id, event))


def raise_or_update(a: Assessment) -> tuple[Alert, bool]:
    """Open an alert for a firing assessment, or update the active one of its subject.

    Returns ``(alert, created)``. An escalation of severity is notified like a new alert.
    """
    key = subject_key(a.kind, a.product_id, a.warehouse_id)
    now = timezone.now()
    with transaction.atomic():
        alert = _active(key)
        if alert is None:
            try:
                with transaction.atomic():  # savepoint: a concurrent check may open it first
                    alert = Alert.objects.create(kind=a.kind, severity=a.severity, product_id=a.product_id,
                                                 warehouse_id=a.warehouse_id, message=a.message,
                                                 evidence=a.evidence, money_at_stake=a.money_at_stake,
                                                 last_seen_at=now)
                if not is_trivial(a.money_at_stake):  # small ones wait in the page's digest
                    _notify_after_commit(alert.pk, "alert.opened")
                return alert, True
            except IntegrityError:
                alert = _active(key)
                if alert is None:
                    raise
        escalated = SEVERITY_RANK[a.severity] > SEVERITY_RANK[alert.severity]
        alert.severity, alert.message, alert.evidence = a.severity, a.message, a.evidence
        alert.money_at_stake = a.money_at_stake
        alert.last_seen_at = now
        alert.occurrences += 1
        alert.save(update_fields=["severity", "message", "evidence", "money_at_stake", "last_seen_at", "occurrences",
                                  "updated_at"])
        if escalated and not is_trivial(a.money_at_stake):
            _notify_after_commit(alert.pk, "alert.escalated")
        return alert, False


def auto_resolve(a: Assessment) -> Alert | None:
    """Close the active alert of the subject because its condition has cleared (None if none was open)."""
    key = subject_key(a.kind, a.product_id, a.warehouse_id)
    with transaction.atomic():
        alert = _active(key)
        if alert is None:
            return None
        alert.status = Alert.Status.RESOLVED
        alert.resolved_at = timezone.now()
        alert.auto_resolved = True
        alert.evidence = {**alert.evidence, "cleared": {"message": a.message, "evidence": a.evidence}}
        alert.save(update_fields=["status", "resolved_at", "auto_resolved", "evidence", "updated_at"])
        _notify_after_commit(alert.pk, "alert.resolved")
        return alert


def apply_assessments(assessments) -> ApplyReport:
    """Apply a check's verdicts: firing -> raise/update, cleared -> resolve, None -> leave as is."""
    report = ApplyReport()
    for a in assessments:
        if a.firing is True:
            alert, created = raise_or_update(a)
            (report.opened if created else report.updated).append(alert.pk)
            if a.kind == AlertKind.FORECAST_DRIFT and created:
                _request_finetune_after_commit(alert)
        elif a.firing is False:
            alert = auto_resolve(a)
            if alert is not None:
                report.resolved.append(alert.pk)
            else:
                report.unchanged += 1
        else:
            report.unchanged += 1
    return report


def _request_finetune_after_commit(alert: Alert) -> None:
    """Drift closes the adaptive loop: ask forecasting for a fine-tuning run once per drift alert."""
    def go():
        outcome = forecast_link.request_finetune(reason=f"forecast drift alert #{alert.pk}: {alert.message}")
        Alert.objects.filter(pk=alert.pk).update(
            evidence={**alert.evidence, "finetune": outcome})

    transaction.on_commit(go)


def acknowledge(alert_id: int, user, note: str = "") -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert_id)
        if alert.status != Alert.Status.OPEN:
            raise AlertTransitionError(f"alert {alert_id} is {alert.status}; only an open alert can be acknowledged")
        alert.status = Alert.Status.ACKNOWLEDGED
        alert.acknowledged_by = user
        alert.acknowledged_at = timezone.now()
        if note:
            alert.note = note
        alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "note", "updated_at"])
        _notify_after_commit(alert.pk, "alert.acknowledged")
        return alert


def resolve(alert_id: int, user, note: str = "") -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert_id)
        if alert.status == Alert.Status.RESOLVED:
            raise AlertTransitionError(f"alert {alert_id} is already resolved")
        alert.status = Alert.Status.RESOLVED
        alert.resolved_by = user
        alert.resolved_at = timezone.now()
        alert.auto_resolved = False
        if note:
            alert.note = note
        alert.save(update_fields=["status", "resolved_by", "resolved_at", "auto_resolved", "note", "updated_at"])
        _notify_after_commit(alert.pk, "alert.resolved")
        return alert
