"""Reads of alerts shared by the pages: which are active, in what order they matter."""
from __future__ import annotations

from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When

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
    # only alerts whose open span meets the window: the table keeps every alert ever raised
    spans = list(Alert.objects.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=min(moments)),
                                      opened_at__lte=max(moments)).values_list("opened_at", "resolved_at"))
    return [sum(1 for opened, resolved in spans if opened <= t and (resolved is None or resolved > t)) for t in moments]
