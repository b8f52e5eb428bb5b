"""Reorder suggestions: grouped by supplier x warehouse, totals against a budget, bulk decisions.

Suggestions are written by replenishment (services.run_replenishment, usually as a task after
each forecast run). Planners approve them in bulk into draft purchase orders (one per supplier
x warehouse) or reject them with a reason, both through replenishment.approvals.
"""
from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from replenishment import approvals, selectors
from replenishment.errors import ReplenishmentError
from replenishment.tasks import run_replenishment

from . import background
from .access import planner_required


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


class Group:
    def __init__(self, supplier, warehouse):
        self.supplier, self.warehouse, self.items = supplier, warehouse, []

    @property
    def total(self) -> Decimal:
        return sum((s.line_cost for s in self.items), start=Decimal("0"))

    @property
    def units(self) -> int:
        return sum(s.quantity for s in self.items)

    @property
    def cut(self) -> bool:
        return any(s.wanted_quantity > s.quantity for s in self.items)

    @property
    def key(self) -> str:
        return f"{self.supplier.code if self.supplier else 'none'}-{self.warehouse.code}"


def suggestion_list(request):
    pending = selectors.pending_suggestions()
    warehouse = request.GET.get("warehouse", "")
    if warehouse:
        pending = pending.filter(warehouse__code=warehouse)
    supplier = request.GET.get("supplier", "")
    if supplier:
        pending = pending.filter(supplier__code=supplier)
    groups: OrderedDict[tuple, Group] = OrderedDict()
    for s in pending:
        key = (s.supplier_id, s.warehouse_id)
        if key not in groups:
            groups[key] = Group(s.supplier, s.warehouse)
        groups[key].items.append(s)
    total = sum((g.total for g in groups.values()), start=Decimal("0"))
    budget, budget_error = _budget(request.GET.get("budget", "").strip())
    return render(request, "staff/suggestion_list.html", {
        "groups": list(groups.values()),
        "total": total,
        "count": sum(len(g.items) for g in groups.values()),
        "budget": budget,
        "budget_error": budget_error,
        "over_budget": budget is not None and total > budget,
        "remaining": None if budget is None else budget - total,
        "selected": {"warehouse": warehouse, "supplier": supplier, "budget": request.GET.get("budget", "")},
        "warehouses": sorted({g.warehouse.code for g in groups.values()}),
        "suppliers": sorted({(g.supplier.code, g.supplier.name) for g in groups.values() if g.supplier}),
    })


def _ids(request) -> list[int]:
    return [int(v) for v in request.POST.getlist("suggestion") if v.isdigit()]


def _back(request):
    back = request.POST.get("next", "")
    return redirect(back if back.startswith("/suggestions/") else reverse("ui:suggestions"))


@planner_required
def suggestion_decide(request):
    ids, action = _ids(request), request.POST.get("action")
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
