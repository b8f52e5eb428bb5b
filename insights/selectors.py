"""Reads of alerts shared by the pages: which are active, in what order they matter."""
from __future__ import annotations

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from .models import SEVERITY_RANK, Alert
from .thresholds import minimum_amount


def active_alerts() -> QuerySet[Alert]:
    return Alert.objects.filter(status__in=Alert.ACTIVE_STATUSES).select_related("product", "warehouse")


def small(floor: float | None = None) -> Q:
    """Alerts whose money at stake is below the smallest amount worth an alert of its own."""
    return Q(money_at_stake__lt=minimum_amount() if floor is None else floor)


def ranked(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """Most at stake first: critical before warning before info, then the most money (alerts
    without a money figure after those with one), then the newest."""
    rank = Case(*[When(severity=s, then=Value(r)) for s, r in SEVERITY_RANK.items()], output_field=IntegerField())
    return alerts.annotate(rank=rank).order_by("-rank", F("money_at_stake").desc(nulls_last=True), "-opened_at", "-id")


def open_counts_at(moments) -> list[int]:
    """How many alerts were open or acknowledged at each moment (opened by then, not yet resolved)."""
    if not moments:
        return []
    # One statement counting per moment in the database (only alerts whose open span meets the
    # window: the table keeps every alert ever raised), instead of every span sent to Python.
    counts = Alert.objects.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=min(moments)),
                                  opened_at__lte=max(moments)).aggregate(**{
        f"at{i}": Count("id", filter=Q(opened_at__lte=t) & (Q(resolved_at__isnull=True) | Q(resolved_at__gt=t)))
        for i, t in enumerate(moments)})
    return [counts[f"at{i}"] for i in range(len(moments))]
