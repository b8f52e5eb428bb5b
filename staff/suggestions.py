"""Reorder suggestions: paged on the server, due first (or by value, or grouped as the orders
they become), totals of everything that matches against a budget, bulk decisions (the ticked
rows, or everything matching the filter after the planner confirms the count), CSV export.

Suggestions are written by replenishment (services.run_replenishment, usually as a task after
each forecast run). Planners approve them in bulk into draft purchase orders (one per supplier
x warehouse) or reject them with a reason, both through replenishment.approvals.
"""
from __future__ import annotations

import hashlib
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe
from django.utils.html import format_html, format_html_join

from replenishment import approvals, selectors
from replenishment.errors import ReplenishmentError
from replenishment.tasks import run_replenishment

from inventory.exports import csv_response

from . import background
from .access import planner_required
from .figure_cache import PENDING, until_changed


def _budget(raw: str):
    """The budget typed on the page, or (None, error message)."""
    if not raw:
        return None, None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        return None, f"The budget “{raw}” is not a number."
    if not value.is_finite() or value < 0:
        return None, "The budget must be zero or more."
    return value, None


PAGE_SIZE = 50  # the products list's too: a page a planner works through, and ~2 ms of rendering a row
# How a planner can order the work: the orders due first (the default: what must be placed
# today), the largest purchases first, or grouped as the orders they become.
SORTS = {
    "due": ("Order-by date, due first", ("order_by", "-line_value", "product__sku")),
    "value": ("Line value, largest first", ("-line_value", "order_by", "product__sku")),
    "supplier": ("Supplier and warehouse", ("supplier__code", "warehouse__code", "order_by", "product__sku")),
}
# "Approve all matching" decides at most this many at once: one transaction, one lock set.
MAX_BULK_DECISION = 5000


def matching(params) -> tuple[QuerySet, dict]:
    """Pending suggestions that match the page's filters, in the chosen order, with line_value."""
    pending = selectors.pending_suggestions()
    chosen = {"warehouse": params.get("warehouse", ""), "supplier": params.get("supplier", ""),
              "sort": params.get("sort", "") if params.get("sort", "") in SORTS else "due"}
    if chosen["warehouse"]:
        pending = pending.filter(warehouse__code=chosen["warehouse"])
    if chosen["supplier"]:
        pending = pending.filter(supplier__code=chosen["supplier"])
    return pending.order_by(*SORTS[chosen["sort"]][1]), chosen


def _figures(rows: QuerySet, warehouse: str, supplier: str) -> dict:
    """Totals of the matching pending suggestions and the filter's choices: sums over every
    pending row (26,000 at M5's full size), kept until the suggestions change (figure_cache)."""
    def compute():
        figures = rows.aggregate(count=Count("id"), total=Sum("line_value"))
        everything = selectors.pending_suggestions()
        return {
            "count": figures["count"], "total": figures["total"] or Decimal("0"),
            "group_count": rows.order_by().values("supplier_id", "warehouse_id").distinct().count(),
            "warehouses": list(everything.order_by("warehouse__code").values_list("warehouse__code", flat=True)
                               .distinct()),
            "suppliers": list(everything.exclude(supplier=None).order_by("supplier__code")
                              .values_list("supplier__code", "supplier__name").distinct()),
        }
    # The filter's values are what a user typed: hashed, so that any text makes a valid key.
    name = "suggestion-figures:" + hashlib.sha256(f"{warehouse}\0{supplier}".encode()).hexdigest()[:32]
    return until_changed(name, compute, PENDING)


class _CountedPaginator(Paginator):
    """A paginator told the count it would otherwise ask the database for."""

    def __init__(self, object_list, per_page, count: int):
        super().__init__(object_list, per_page)
        self._known = count

    @property
    def count(self) -> int:
        return self._known


def suggestion_list(request):
    rows, chosen = matching(request.GET)
    figures = _figures(rows, chosen["warehouse"], chosen["supplier"])
    total = figures["total"]
    budget, budget_error = _budget(request.GET.get("budget", "").strip())
    page = _CountedPaginator(rows, PAGE_SIZE, figures["count"]).get_page(request.GET.get("page"))
    return render(request, "staff/suggestion_list.html", {
        "page": page,
        "total": total,
        "count": figures["count"],
        "group_count": figures["group_count"],
        "budget": budget,
        "budget_error": budget_error,
        "over_budget": budget is not None and total > budget,
        "remaining": None if budget is None else budget - total,
        "selected": {**chosen, "budget": request.GET.get("budget", "")},
        "sorts": [(key, label) for key, (label, _) in SORTS.items()],
        "max_bulk": MAX_BULK_DECISION,
        "warehouses": figures["warehouses"],
        "suppliers": figures["suppliers"],
    })


@require_safe
def suggestion_export(request):
    """The suggestions as shown (filters and order applied, every page) as CSV, formula-safe."""
    rows, _ = matching(request.GET)
    header = ["sku", "product", "warehouse", "supplier", "quantity", "wanted_quantity", "unit_cost", "line_value",
              "order_by", "expected_arrival", "on_hand", "on_order", "demand_over_protection_interval",
              "order_up_to", "expected_service_level", "method", "demand_source", "explanation"]
    return csv_response("reorder-suggestions.csv", header, (
        [s.product.sku, s.product.name, s.warehouse.code, s.supplier.code if s.supplier else "", s.quantity,
         s.wanted_quantity, s.unit_cost, f"{s.line_value:.2f}", s.order_by, s.expected_arrival or "", s.on_hand,
         s.on_order, round(s.forecast_over_lead_time, 2), round(s.target_level, 2),
         round(s.expected_service_level, 4), s.method, s.demand_source, s.explanation]
        for s in rows.iterator(chunk_size=2000)))


def _ids(request) -> list[int]:
    return [int(v) for v in request.POST.getlist("suggestion") if v.isdigit()]


def _back(request):
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/suggestions/") else reverse("ui:suggestions"))


def _matching_ids(request) -> tuple[list[int] | None, str | None]:
    """Every pending suggestion matching the filter the page showed, if the count the planner
    confirmed is still the count (the list may have changed since the page was drawn)."""
    rows, _ = matching(request.POST)
    ids = list(rows.values_list("id", flat=True)[:MAX_BULK_DECISION + 1])
    if len(ids) > MAX_BULK_DECISION:
        return None, (f"More than {MAX_BULK_DECISION:,} suggestions match; narrow the filter (supplier or warehouse) "
                      "to decide them in parts.")
    confirmed = request.POST.get("confirm_count", "")
    if not confirmed.isdigit() or int(confirmed) != len(ids):
        return None, (f"{len(ids):,} suggestions match now, not the {confirmed or 'unconfirmed'} shown: "
                      "reload the page and confirm again.")
    return ids, None


@planner_required
def suggestion_decide(request):
    action = request.POST.get("action")
    if request.POST.get("scope") == "matching":
        ids, problem = _matching_ids(request)
        if problem:
            messages.error(request, f"Nothing was decided. {problem}")
            return _back(request)
    else:
        ids = _ids(request)
    if not ids:
        messages.error(request, "Nothing was decided: tick at least one suggestion.")
        return _back(request)
    try:
        if action == "approve":
            orders = approvals.approve_suggestions(ids, user=request.user)
            links = format_html_join(", ", '<a href="{}">{}</a>', ((reverse("ui:order", args=[o.pk]), o.number) for o in orders))
            messages.success(request, format_html(
                "Approved {} suggestion{} into draft purchase order{} {}. Review and approve the order{} to place it.",
                len(ids), "s" if len(ids) != 1 else "", "s" if len(orders) != 1 else "", links,
                "s" if len(orders) != 1 else ""))
        elif action == "reject":
            reason = request.POST.get("reason", "").strip()
            if not reason:
                messages.error(request, "Nothing was rejected: a reason is required to reject suggestions.")
                return _back(request)
            n = approvals.reject_suggestions(ids, reason, user=request.user)
            messages.success(request, f"Rejected {n} suggestion{'s' if n != 1 else ''}: {reason}")
        else:
            messages.error(request, f"Unknown action {action!r}.")
    except ReplenishmentError as error:
        messages.error(request, f"Nothing was decided. {error}")
    return _back(request)


@planner_required
def suggestion_recompute(request):
    """Queue a replenishment run, with per-supplier budgets typed on the page (never blocks)."""
    budgets = {}
    for key, raw in request.POST.items():
        if key.startswith("budget-") and raw.strip():
            value, error = _budget(raw.strip())
            if error:
                messages.error(request, f"Nothing was started. {key[7:]}: {error}")
                return redirect("ui:suggestions")
            budgets[key[7:]] = float(value)
    try:
        background.start(run_replenishment, budgets=budgets or None)
    except background.QueueUnavailable as error:
        messages.error(request, f"Suggestions were not recomputed: {error}")
        return redirect("ui:suggestions")
    messages.success(request, "Suggestions are being recomputed" + (
        f" with budgets for {', '.join(sorted(budgets))}" if budgets else "") + "; reload this page in a moment.")
    return redirect("ui:suggestions")
