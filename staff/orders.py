"""Purchase orders: list, detail, and the planner actions (approve, send, cancel, receive).

Every change goes through inventory.purchasing.services; a refused change (StockError) is shown to the
planner as its message, and nothing is written.
"""
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from inventory.purchasing import services
from inventory.errors import StockError
from inventory.exports import csv_response
from inventory.models import StockMovement, Supplier, Warehouse
from inventory.purchasing.models import PurchaseOrder

from .access import planner_required

PAGE_SIZE = 50
_ACTIONS = {
    "approve": (services.approve_purchase_order, "approved"),
    "send": (services.send_purchase_order, "marked as sent"),
    "cancel": (services.cancel_purchase_order, "cancelled"),
}


def order_list(request):
    orders = PurchaseOrder.objects.select_related("supplier", "warehouse").annotate(
        line_count=Count("lines"),
        total=Sum(ExpressionWrapper(F("lines__quantity_ordered") * F("lines__unit_cost"), output_field=DecimalField())),
    )
    status = request.GET.get("status", "")
    if status == "open":
        orders = orders.filter(status__in=PurchaseOrder.OPEN_STATUSES)
    elif status in PurchaseOrder.Status.values:
        orders = orders.filter(status=status)
    supplier = request.GET.get("supplier", "")
    if supplier:
        orders = orders.filter(supplier__code=supplier)
    warehouse = request.GET.get("warehouse", "")
    if warehouse:
        orders = orders.filter(warehouse__code=warehouse)
    page = Paginator(orders.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "staff/order_list.html", {
        "page": page,
        "status_choices": [("open", "Open (approved, sent, part-received)")] + list(PurchaseOrder.Status.choices),
        "suppliers": Supplier.objects.filter(purchase_orders__isnull=False).distinct(),
        "warehouses": Warehouse.objects.all(),
        "selected": {"status": status, "supplier": supplier, "warehouse": warehouse},
        "filtered": bool(status or supplier or warehouse),
    })


@require_safe
def order_detail(request, pk: int):
    order = get_object_or_404(PurchaseOrder.objects.select_related("supplier", "warehouse", "created_by", "approved_by"), pk=pk)
    lines = list(order.lines.select_related("product"))
    for line in lines:
        line.total_cost = line.quantity_ordered * line.unit_cost
    return render(request, "staff/order_detail.html", {
        "order": order,
        "lines": lines,
        "total": sum((line.quantity_ordered * line.unit_cost for line in lines), start=0),
        "can_approve": order.status == PurchaseOrder.Status.DRAFT,
        "can_send": order.status == PurchaseOrder.Status.APPROVED,
        "can_cancel": order.status in (PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.APPROVED, PurchaseOrder.Status.SENT)
        and not any(line.quantity_received for line in lines),
        "can_receive": order.status in services.RECEIVABLE_STATUSES,
        "receipts": StockMovement.objects.filter(purchase_order_line__order=order)
        .select_related("product").order_by("-created_at")[:50],
    })


@planner_required
def order_action(request, pk: int, action: str):
    order = get_object_or_404(PurchaseOrder, pk=pk)
    if action not in _ACTIONS:
        messages.error(request, f"Unknown action {action!r}.")
        return redirect("ui:order", pk=pk)
    service, done = _ACTIONS[action]
    try:
        service(order, user=request.user)
    except StockError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Purchase order {order.number} {done}.")
    return redirect("ui:order", pk=pk)


@planner_required
def order_receive(request, pk: int):
    """Receive every outstanding unit ("full") or the quantities typed per line (partial)."""
    order = get_object_or_404(PurchaseOrder, pk=pk)
    quantities = None
    if request.POST.get("mode") != "full":
        quantities, bad = {}, []
        for line in order.lines.select_related("product"):
            raw = request.POST.get(f"qty-{line.pk}", "").strip()
            if raw in ("", "0"):
                continue
            if not raw.isdigit():
                bad.append(f"{line.product.sku}: “{raw}” is not a whole number of units")
                continue
            quantities[line.pk] = int(raw)
        if bad:
            messages.error(request, "Nothing was received. " + "; ".join(bad) + ".")
            return redirect("ui:order", pk=pk)
        if not quantities:
            messages.error(request, "Nothing was received: enter a quantity on at least one line.")
            return redirect("ui:order", pk=pk)
    try:
        movements = services.receive_purchase_order(order, quantities, user=request.user)
    except StockError as error:
        messages.error(request, f"Nothing was received. {error.message}")
    else:
        units = sum(m.quantity for m in movements)
        order.refresh_from_db()
        messages.success(
            request, f"Received {units} units on {order.number} into {order.warehouse.code}; "
            f"the order is now {order.get_status_display().lower()}."
        )
    return redirect("ui:order", pk=pk)


@require_safe
def order_csv(request, pk: int):
    """The order as a spreadsheet to send to the supplier (cells safe from formula injection)."""
    order = get_object_or_404(PurchaseOrder.objects.select_related("supplier", "warehouse"), pk=pk)
    rows = (
        (order.number, order.supplier.name, order.warehouse.code, line.product.sku, line.product.name,
         line.quantity_ordered, line.quantity_received, line.unit_cost, order.currency, order.expected_date)
        for line in order.lines.select_related("product")
    )
    header = ["order", "supplier", "warehouse", "sku", "product", "quantity_ordered", "quantity_received",
              "unit_cost", "currency", "expected_date"]
    return csv_response(f"{order.number}.csv", header, rows)
