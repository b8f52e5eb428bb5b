"""The dashboard's "today": what a planner acts on first. Orders due today or overdue (pending
suggestions whose order-by date has come), the alerts with the most money at stake, and the
work that failed in the last week. "Today" on a historical data set is its last sales day."""
from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, Sum
from django.utils import timezone

from forecasting.models import ForecastRun
from insights import selectors as alert_selectors
from insights.thresholds import minimum_amount
from inventory.import_models import ImportJob
from inventory.selectors import last_sales_day
from replenishment import selectors as replenishment_selectors

from .figure_cache import DUE, OPEN_ALERTS, until_changed

TOP = 5
FAILED_WITHIN = timedelta(days=7)


def decision_day():
    return last_sales_day() or timezone.localdate()


def _due(day) -> dict:
    """Sums over every pending suggestion due by ``day``: kept until the suggestions or the
    day change (figure_cache), with the ids of the largest few."""
    due = replenishment_selectors.due_suggestions(day)
    totals = due.aggregate(n=Count("id"), value=Sum("line_value"))
    return {"due_count": totals["n"], "due_value": totals["value"] or 0,
            "overdue_count": due.filter(order_by__lt=day).count(),
            "top_ids": list(due.order_by("-line_value", "order_by").values_list("id", flat=True)[:TOP])}


def _top_alerts() -> list:
    return list(alert_selectors.ranked(alert_selectors.active_alerts().exclude(alert_selectors.small()))[:TOP])


def today() -> dict:
    day = decision_day()
    due = until_changed(f"due:{day.isoformat()}", lambda: _due(day), DUE)
    top = {s.pk: s for s in replenishment_selectors.pending_suggestions().filter(pk__in=due["top_ids"])}
    since = timezone.now() - FAILED_WITHIN
    return {
        "day": day,
        "due_count": due["due_count"],
        "due_value": due["due_value"],
        "overdue_count": due["overdue_count"],
        "due_top": [top[pk] for pk in due["top_ids"] if pk in top],
        "top_alerts": until_changed(f"top-alerts:{minimum_amount()}", _top_alerts, OPEN_ALERTS),
        "failed_runs": list(ForecastRun.objects.filter(status=ForecastRun.Status.FAILED, created_at__gte=since)
                            .order_by("-created_at")[:TOP]),
        "failed_imports": list(ImportJob.objects.filter(status=ImportJob.Status.FAILED, created_at__gte=since)
                               .order_by("-created_at")[:TOP]),
    }
