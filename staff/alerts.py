"""Alerts inbox: ranked by what is at stake (critical first, then the most money, then the newest),
filtered by kind, severity and status; alerts below the smallest amount worth one
(STOCKCAST_ALERT_MIN_AMOUNT) are folded into one digest line unless asked for; planners
acknowledge and resolve.

Alerts are raised by the insights app; every change goes through insights.services so that
notifications and de-duplication stay right.
"""
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Count, Sum
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from insights import selectors, services
from insights.errors import InsightsError
from insights.models import Alert, AlertKind, Severity
from insights.thresholds import minimum_amount

from .access import planner_required

PAGE_SIZE = 50


def alert_list(request):
    alerts = Alert.objects.select_related("product", "warehouse")
    status = request.GET.get("status", "active")
    if status == "active":
        alerts = alerts.filter(status__in=Alert.ACTIVE_STATUSES)
    elif status in Alert.Status.values:
        alerts = alerts.filter(status=status)
    kind = request.GET.get("kind", "")
    if kind in AlertKind.values:
        alerts = alerts.filter(kind=kind)
    severity = request.GET.get("severity", "")
    if severity in Severity.values:
        alerts = alerts.filter(severity=severity)
    floor = minimum_amount()
    digest = alerts.filter(selectors.small(floor)).aggregate(count=Count("id"), total=Sum("money_at_stake"))
    show_small = request.GET.get("small") == "1"
    if not show_small:
        alerts = alerts.exclude(selectors.small(floor))
    page = Paginator(selectors.ranked(alerts), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/alert_list.html", {
        "page": page,
        "digest": digest,
        "minimum_amount": floor,
        "show_small": show_small,
        "kinds": AlertKind.choices,
        "severities": Severity.choices,
        "statuses": [("active", "Open or acknowledged")] + list(Alert.Status.choices) + [("all", "All")],
        "selected": {"status": status, "kind": kind, "severity": severity},
        "filtered": bool(kind or severity or status != "active"),
    })


@planner_required
def alert_action(request, pk: int, action: str):
    handler = {"acknowledge": services.acknowledge, "resolve": services.resolve}.get(action)
    if handler is None:
        messages.error(request, f"Unknown action {action!r}.")
    else:
        try:
            alert = handler(pk, request.user, note=request.POST.get("note", "").strip())
        except ObjectDoesNotExist:
            messages.error(request, f"Alert {pk} does not exist.")
        except InsightsError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Alert {alert.pk} {alert.get_status_display().lower()}.")
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("ui:alerts")
