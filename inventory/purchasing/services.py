"""A purchase order's life: a draft with its lines, approve, send, cancel, receive.

Every write is one transaction; the order's row lock comes first (the lock order of
inventory.services, which books the receipts into the stock ledger).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from inventory import services as ledger
from inventory.errors import InvalidQuantity, InvalidTransition, OverReceipt
from inventory.models import MovementKind, Product, StockMovement, Supplier, Warehouse

from .models import PurchaseOrder, PurchaseOrderLine


@dataclass(frozen=True)
class OrderLineRequest:
    product: Product
    quantity: int
    unit_cost: Decimal | None = None


def create_purchase_order(
    *, supplier: Supplier, warehouse: Warehouse, lines: list[OrderLineRequest], user=None,
    expected_date: date | None = None, notes: str = "",
) -> PurchaseOrder:
    """A draft order with its lines, written together."""
    if not lines:
        raise InvalidQuantity("A purchase order needs at least one line.", lines=[])
    seen = set()
    for index, line in enumerate(lines):
        if line.product.pk in seen:
            raise InvalidQuantity(f"Line {index + 1}: {line.product.sku} appears twice.", line=index + 1)
        seen.add(line.product.pk)
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            raise InvalidQuantity(
                f"Line {index + 1}: quantity must be a positive whole number, got {line.quantity!r}.",
                line=index + 1, quantity=line.quantity,
            )
    if expected_date is None:
        expected_date = timezone.localdate() + timezone.timedelta(days=round(float(supplier.lead_time_mean_days)))
    with transaction.atomic():
        order = PurchaseOrder.objects.create(
            number=f"tmp-{uuid.uuid4().hex[:20]}", supplier=supplier, warehouse=warehouse, expected_date=expected_date,
            currency=supplier.currency, notes=notes,
            created_by=user if (user is not None and user.is_authenticated) else None,
        )
        order.number = f"PO{order.pk:07d}"
        order.save(update_fields=["number"])
        PurchaseOrderLine.objects.bulk_create(
            PurchaseOrderLine(
                order=order, product=line.product, quantity_ordered=line.quantity,
                unit_cost=line.product.unit_cost if line.unit_cost is None else line.unit_cost,
            )
            for line in lines
        )
        return order


_TRANSITIONS = {
    "approve": ({PurchaseOrder.Status.DRAFT}, PurchaseOrder.Status.APPROVED, "approved_at"),
    "send": ({PurchaseOrder.Status.APPROVED}, PurchaseOrder.Status.SENT, "sent_at"),
    "cancel": (
        {PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.APPROVED, PurchaseOrder.Status.SENT},
        PurchaseOrder.Status.CANCELLED,
        "cancelled_at",
    ),
}


def _transition(order: PurchaseOrder, action: str, user=None) -> PurchaseOrder:
    allowed_from, target, stamp = _TRANSITIONS[action]
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        if order.status not in allowed_from:
            raise InvalidTransition(
                f"Purchase order {order.number} is {order.get_status_display().lower()}; it cannot be {target.label.lower()}"
                f" (only from: {', '.join(sorted(s.label.lower() for s in allowed_from))}).",
                order=order.number, status=order.status, action=action,
            )
        if action == "cancel" and order.lines.filter(quantity_received__gt=0).exists():
            raise InvalidTransition(
                f"Purchase order {order.number} has received goods and cannot be cancelled.",
                order=order.number, status=order.status, action=action,
            )
        if action == "approve" and not order.lines.exists():
            raise InvalidTransition(f"Purchase order {order.number} has no lines.", order=order.number, action=action)
        order.status = target
        setattr(order, stamp, timezone.now())
        fields = ["status", stamp]
        if action == "approve":
            order.approved_by = user if (user is not None and user.is_authenticated) else None
            fields.append("approved_by")
        order.save(update_fields=fields)
        return order


def approve_purchase_order(order, user=None):
    return _transition(order, "approve", user)


def send_purchase_order(order, user=None):
    return _transition(order, "send", user)


def cancel_purchase_order(order, user=None):
    return _transition(order, "cancel", user)


RECEIVABLE_STATUSES = {
    PurchaseOrder.Status.APPROVED,
    PurchaseOrder.Status.SENT,
    PurchaseOrder.Status.PARTIALLY_RECEIVED,
}


def receive_purchase_order_line(
    line: PurchaseOrderLine, quantity: int, *, user=None, idempotency_key: str | None = None
) -> StockMovement:
    """Book goods received against one order line: the line, the order status, the ledger and stock."""
    ledger.signed_quantity(MovementKind.RECEIPT, quantity)
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(pk=line.order_id)
        line = PurchaseOrderLine.objects.select_for_update().select_related("product").get(pk=line.pk)
        replay = ledger.replayed_movement(idempotency_key, line.product, order.warehouse, MovementKind.RECEIPT, quantity)
        if replay is not None:
            return replay
        if order.status not in RECEIVABLE_STATUSES:
            raise InvalidTransition(
                f"Purchase order {order.number} is {order.get_status_display().lower()}: nothing can be received on it.",
                order=order.number, status=order.status,
            )
        if line.quantity_received + quantity > line.quantity_ordered:
            raise OverReceipt(
                f"Cannot receive {quantity} units of {line.product.sku} on {order.number}: "
                f"{line.quantity_ordered} ordered, {line.quantity_received} already received, "
                f"so at most {line.quantity_outstanding} more.",
                order=order.number, product=line.product.sku, ordered=line.quantity_ordered,
                received=line.quantity_received, requested=quantity,
            )
        movement = ledger.book_receipt(line, order.warehouse, quantity, reference=order.number,
                                       idempotency_key=idempotency_key, user=user)
        line.quantity_received += quantity
        line.save(update_fields=["quantity_received"])
        complete = not order.lines.exclude(pk=line.pk).filter(quantity_received__lt=F("quantity_ordered")).exists()
        complete = complete and line.quantity_received == line.quantity_ordered
        order.status = PurchaseOrder.Status.RECEIVED if complete else PurchaseOrder.Status.PARTIALLY_RECEIVED
        order.received_at = timezone.now() if complete else None
        order.save(update_fields=["status", "received_at"])
        return movement


def receive_purchase_order(order: PurchaseOrder, quantities: dict[int, int] | None = None, *, user=None,
                           idempotency_key: str | None = None) -> list[StockMovement]:
    """Receive several lines at once (all outstanding quantities by default), all or nothing.

    With ``idempotency_key`` each ledger line gets ``<key>:<line id>``, so a retried booking is
    recognised line by line."""
    with transaction.atomic():
        lines = list(order.lines.select_related("product").order_by("product_id"))
        if quantities is None:
            quantities = {line.pk: line.quantity_outstanding for line in lines if line.quantity_outstanding > 0}
        unknown = set(quantities) - {line.pk for line in lines}
        if unknown:
            raise InvalidQuantity(f"Lines {sorted(unknown)} do not belong to {order.number}.", lines=sorted(unknown))
        if not quantities:
            raise InvalidTransition(f"Purchase order {order.number} has nothing left to receive.", order=order.number)
        return [
            receive_purchase_order_line(line, quantities[line.pk], user=user,
                                        idempotency_key=f"{idempotency_key}:{line.pk}" if idempotency_key else None)
            for line in lines
            if quantities.get(line.pk)
        ]

