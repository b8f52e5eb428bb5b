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
from .revisions import ALERTS
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


BATCH = 500  # subjects per transaction: one locking read and a few bulk writes each
_UPDATED = ["severity", "message", "evidence", "money_at_stake", "last_seen_at", "occurrences", "updated_at"]
_RESOLVED = ["status", "resolved_at", "auto_resolved", "evidence", "updated_at"]


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
        escalated = _refresh(alert, a, now)
        alert.save(update_fields=_UPDATED)
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
        _mark_resolved(alert, a, timezone.now())
        alert.save(update_fields=_RESOLVED)
        _notify_after_commit(alert.pk, "alert.resolved")
        return alert


def apply_assessments(assessments) -> ApplyReport:
    """Apply a check's verdicts: firing -> raise/update, cleared -> resolve, None -> leave as is.

    Set-based: a check over a whole catalogue gives tens of thousands of verdicts, most of them
    "cleared, nothing open". Each batch locks the active alerts of its subjects in one query and
    writes them back in bulk, in one transaction, with the same outcome as raise_or_update and
    auto_resolve one by one (those stay the path for a single verdict and for a batch that
    meets a concurrent check)."""
    report = ApplyReport()
    decided = []
    for a in assessments:
        if a.firing is None:
            report.unchanged += 1
        else:
            decided.append(a)
    for start in range(0, len(decided), BATCH):
        _apply_batch(decided[start:start + BATCH], report)
    return report


def _apply_batch(batch, report: ApplyReport) -> None:
    keyed = [(subject_key(a.kind, a.product_id, a.warehouse_id), a) for a in batch]
    if len({key for key, _ in keyed}) < len(keyed):  # one subject twice: order matters, go one by one
        for _, a in keyed:
            _apply_one(a, report)
        return
    now = timezone.now()
    with transaction.atomic():
        active = {alert.subject_key: alert for alert in Alert.objects.select_for_update().filter(
            subject_key__in=[key for key, _ in keyed], status__in=Alert.ACTIVE_STATUSES)}
        new, updated, resolved, events = [], [], [], []
        for key, a in keyed:
            alert = active.get(key)
            if a.firing and alert is None:
                new.append((a, Alert(kind=a.kind, severity=a.severity, product_id=a.product_id,
                                     warehouse_id=a.warehouse_id, subject_key=key, message=a.message,
                                     evidence=a.evidence, money_at_stake=a.money_at_stake, last_seen_at=now)))
            elif a.firing:
                escalated = _refresh(alert, a, now)
                updated.append(alert)
                if escalated and not is_trivial(a.money_at_stake):
                    events.append((alert, "alert.escalated"))
            elif alert is not None:
                _mark_resolved(alert, a, now)
                resolved.append(alert)
                events.append((alert, "alert.resolved"))
            else:
                report.unchanged += 1
        Alert.objects.bulk_update(updated, _UPDATED)
        Alert.objects.bulk_update(resolved, _RESOLVED)
        if new or updated or resolved:
            ALERTS.note_changed()  # bulk writes send no signals
        report.updated += [alert.pk for alert in updated]
        report.resolved += [alert.pk for alert in resolved]
        try:
            with transaction.atomic():  # savepoint: a concurrent check may open one of them first
                Alert.objects.bulk_create([alert for _, alert in new])
        except IntegrityError:
            for a, _ in new:
                _apply_one(a, report)
            new = []
        for a, alert in new:
            report.opened.append(alert.pk)
            if not is_trivial(a.money_at_stake):  # small ones wait in the page's digest
                events.append((alert, "alert.opened"))
            if a.kind == AlertKind.FORECAST_DRIFT:
                _request_finetune_after_commit(alert)
        for alert, event in events:
            _notify_after_commit(alert.pk, event)


def _apply_one(a: Assessment, report: ApplyReport) -> None:
    if a.firing:
        alert, created = raise_or_update(a)
        (report.opened if created else report.updated).append(alert.pk)
        if a.kind == AlertKind.FORECAST_DRIFT and created:
            _request_finetune_after_commit(alert)
        return
    alert = auto_resolve(a)
    if alert is not None:
        report.resolved.append(alert.pk)
    else:
        report.unchanged += 1


def _refresh(alert: Alert, a: Assessment, now) -> bool:
    """The active alert takes the new verdict's figures; True when its severity went up."""
    escalated = SEVERITY_RANK[a.severity] > SEVERITY_RANK[alert.severity]
    alert.severity, alert.message, alert.evidence = a.severity, a.message, a.evidence
    alert.money_at_stake, alert.last_seen_at, alert.updated_at = a.money_at_stake, now, now
    alert.occurrences += 1
    return escalated


def _mark_resolved(alert: Alert, a: Assessment, now) -> None:
    alert.status = Alert.Status.RESOLVED
    alert.resolved_at = now
    alert.auto_resolved = True
    alert.evidence = {**alert.evidence, "cleared": {"message": a.message, "evidence": a.evidence}}
    alert.updated_at = now


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
