"""Every inventory write that must stay consistent: one transaction each, under row locks.

Lock order, the same on every path so that concurrent writers cannot deadlock:
purchase order -> warehouses (ascending id, only where capacity is checked) -> stock levels
(ascending product id, then warehouse id). The database constraints on the models back these
rules up, so a write that bypasses this module still cannot make stock negative or over-receive.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from .errors import (
    CapacityExceeded,
    IdempotencyConflict,
    InsufficientStock,
    InvalidQuantity,
    InvalidTransition,
    OverReceipt,
)
from .models import (
    INBOUND_KINDS,
    MovementKind,
    Product,
    PurchaseOrder,
    PurchaseOrderLine,
    StockLevel,
    StockMovement,
    Supplier,
    Warehouse,
)

# --- locking helpers ------------------------------------------------------------------------


def _lock_stock_level(product: Product, warehouse: Warehouse) -> StockLevel:
    """Lock (creating if needed) the stock row of product x warehouse for this transaction."""
    query = StockLevel.objects.select_for_update().filter(product=product, warehouse=warehouse)
    level = query.first()
    if level is None:
        try:
            with transaction.atomic():  # savepoint: a concurrent creator may win the race
                StockLevel.objects.create(
                    product=product, warehouse=warehouse, backorders_allowed=warehouse.allow_backorders
                )
        except IntegrityError:
            pass
        level = query.get()
    return level


def _lock_stock_levels(pairs: list[tuple[Product, Warehouse]]) -> dict[tuple[int, int], StockLevel]:
    ordered = sorted(pairs, key=lambda pair: (pair[0].pk, pair[1].pk))
    return {(p.pk, w.pk): _lock_stock_level(p, w) for p, w in ordered}


# Namespace of our advisory locks (the first int of pg_advisory_xact_lock's two-int form).
_CAPACITY_LOCK_SPACE = 0x57484341  # "WHCA"


def _lock_warehouse(warehouse: Warehouse) -> Warehouse:
    """Serialise capacity checks of one warehouse until the end of the transaction.

    An advisory lock, not a row lock: every ledger insert takes a KEY SHARE lock on the
    warehouse row it references, and PostgreSQL queues those behind a waiting FOR (NO KEY)
    UPDATE, which deadlocks opposite transfers. SQLite serialises writers by itself.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_CAPACITY_LOCK_SPACE, warehouse.pk])
    return Warehouse.objects.get(pk=warehouse.pk)


def units_in_warehouse(warehouse: Warehouse) -> int:
    total = StockLevel.objects.filter(warehouse=warehouse, on_hand__gt=0).aggregate(total=Sum("on_hand"))["total"]
    return int(total or 0)


def _check_capacity(warehouse: Warehouse, incoming: int) -> None:
    if warehouse.capacity_units is None or incoming <= 0:
        return
    current = units_in_warehouse(warehouse)
    if current + incoming > warehouse.capacity_units:
        raise CapacityExceeded(
            f"Warehouse {warehouse.code} holds {current} of {warehouse.capacity_units} units; "
            f"{incoming} more would exceed its capacity by {current + incoming - warehouse.capacity_units}.",
            warehouse=warehouse.code,
            capacity=warehouse.capacity_units,
            current=current,
            incoming=incoming,
        )


# --- idempotency ----------------------------------------------------------------------------


def _replayed(idempotency_key: str | None, product, warehouse, kind, signed_quantity) -> StockMovement | None:
    """The movement already written under this key, if any; a different request under it is refused."""
    if not idempotency_key:
        return None
    movement = StockMovement.objects.filter(idempotency_key=idempotency_key).first()
    if movement is None:
        return None
    same = (
        movement.product_id == product.pk
        and movement.warehouse_id == warehouse.pk
        and movement.kind == kind
        and movement.quantity == signed_quantity
    )
    if not same:
        raise IdempotencyConflict(
            f"Idempotency key {idempotency_key!r} was already used for a different movement "
            f"({movement.kind} {movement.quantity:+d} of {movement.product.sku} at {movement.warehouse.code}).",
            idempotency_key=idempotency_key,
        )
    return movement


def _signed_quantity(kind: str, quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise InvalidQuantity(f"quantity must be a whole number of units, got {quantity!r}.", quantity=quantity)
    if kind == MovementKind.ADJUSTMENT:
        if quantity == 0:
            raise InvalidQuantity("An adjustment must change stock: quantity cannot be 0.", quantity=quantity)
        return quantity
    if kind not in MovementKind.values:
        raise InvalidQuantity(f"Unknown movement kind {kind!r}.", kind=kind)
    if quantity <= 0:
        raise InvalidQuantity(
            f"quantity must be a positive number of units for a {kind}, got {quantity}.", quantity=quantity
        )
    return quantity if kind in INBOUND_KINDS else -quantity


# --- the core write -------------------------------------------------------------------------


def _apply_movement(level: StockLevel, *, kind, signed_quantity, reference, idempotency_key, user, note, line=None):
    """Write one ledger line and the stock level it changes. Caller holds the locks."""
    product, warehouse = level.product, level.warehouse
    if signed_quantity < 0 and not warehouse.allow_backorders:
        # Stock already promised to reservations cannot be sold again; adjustments may only
        # bring stock down to zero.
        available = level.on_hand - level.reserved if kind == MovementKind.SALE else level.on_hand
        if -signed_quantity > available:
            raise InsufficientStock(
                f"Cannot take {-signed_quantity} units of {product.sku} out of {warehouse.code}: "
                f"only {max(available, 0)} available (on hand {level.on_hand}, reserved {level.reserved}), "
                f"and {warehouse.code} does not allow backorders.",
                product=product.sku,
                warehouse=warehouse.code,
                requested=-signed_quantity,
                available=max(available, 0),
            )
    level.on_hand += signed_quantity
    level.save(update_fields=["on_hand", "updated_at"])
    return StockMovement.objects.create(
        product=product,
        warehouse=warehouse,
        kind=kind,
        quantity=signed_quantity,
        balance_after=level.on_hand,
        reference=reference,
        idempotency_key=idempotency_key or None,
        purchase_order_line=line,
        note=note,
        created_by=user if (user is not None and user.is_authenticated) else None,
    )


def record_movement(
    *,
    product: Product,
    warehouse: Warehouse,
    kind: str,
    quantity: int,
    reference: str = "",
    idempotency_key: str | None = None,
    user=None,
    note: str = "",
) -> StockMovement:
    """Record a receipt, sale, return or adjustment and update stock, atomically.

    quantity is a positive number of units, except for adjustments where it is the signed change.
    Replaying the same idempotency key returns the first movement and changes nothing.
    """
    if kind in (MovementKind.TRANSFER_IN, MovementKind.TRANSFER_OUT):
        raise InvalidQuantity("Use transfer_stock() for transfers: both sides must move together.", kind=kind)
    signed = _signed_quantity(kind, quantity)
    with transaction.atomic():
        if (done := _replayed(idempotency_key, product, warehouse, kind, signed)) is not None:
            return done
        if signed > 0 and warehouse.capacity_units is not None:
            warehouse = _lock_warehouse(warehouse)
            _check_capacity(warehouse, signed)
        level = _lock_stock_level(product, warehouse)
        # A concurrent request with the same key may have committed while we waited for the lock.
        if (done := _replayed(idempotency_key, product, warehouse, kind, signed)) is not None:
            return done
        return _apply_movement(
            level, kind=kind, signed_quantity=signed, reference=reference,
            idempotency_key=idempotency_key, user=user, note=note,
        )


def sell(product, warehouse, quantity, **kwargs) -> StockMovement:
    return record_movement(product=product, warehouse=warehouse, kind=MovementKind.SALE, quantity=quantity, **kwargs)


def receive(product, warehouse, quantity, **kwargs) -> StockMovement:
    return record_movement(product=product, warehouse=warehouse, kind=MovementKind.RECEIPT, quantity=quantity, **kwargs)


def set_counted_stock(product, warehouse, counted: int, *, user=None, reason: str = "stock count") -> StockMovement | None:
    """Adjust stock to a physical count. Returns None when the count matches the books."""
    if not isinstance(counted, int) or counted < 0:
        raise InvalidQuantity(f"A counted quantity must be a whole number >= 0, got {counted!r}.", counted=counted)
    with transaction.atomic():
        level = _lock_stock_level(product, warehouse)
        delta = counted - level.on_hand
        if delta == 0:
            return None
        if delta > 0 and warehouse.capacity_units is not None:
            _check_capacity(warehouse, delta)
        return _apply_movement(
            level, kind=MovementKind.ADJUSTMENT, signed_quantity=delta, reference="count",
            idempotency_key=None, user=user, note=reason,
        )


@dataclass(frozen=True)
class Transfer:
    out: StockMovement
    into: StockMovement


def transfer_stock(
    *, product, source: Warehouse, destination: Warehouse, quantity: int,
    idempotency_key: str | None = None, reference: str = "", user=None, note: str = "",
) -> Transfer:
    """Move stock between warehouses: both ledger lines and both levels, or nothing."""
    if source.pk == destination.pk:
        raise InvalidQuantity("A transfer needs two different warehouses.", warehouse=source.code)
    _signed_quantity(MovementKind.TRANSFER_OUT, quantity)
    key_out = f"{idempotency_key}:out" if idempotency_key else None
    key_in = f"{idempotency_key}:in" if idempotency_key else None
    reference = reference or f"transfer {source.code}->{destination.code}"
    with transaction.atomic():
        done_out = _replayed(key_out, product, source, MovementKind.TRANSFER_OUT, -quantity)
        if done_out is not None:
            return Transfer(done_out, StockMovement.objects.get(idempotency_key=key_in))
        if destination.capacity_units is not None:
            destination = _lock_warehouse(destination)
            _check_capacity(destination, quantity)
        levels = _lock_stock_levels([(product, source), (product, destination)])
        done_out = _replayed(key_out, product, source, MovementKind.TRANSFER_OUT, -quantity)
        if done_out is not None:
            return Transfer(done_out, StockMovement.objects.get(idempotency_key=key_in))
        out = _apply_movement(
            levels[(product.pk, source.pk)], kind=MovementKind.TRANSFER_OUT, signed_quantity=-quantity,
            reference=reference, idempotency_key=key_out, user=user, note=note,
        )
        into = _apply_movement(
            levels[(product.pk, destination.pk)], kind=MovementKind.TRANSFER_IN, signed_quantity=quantity,
            reference=reference, idempotency_key=key_in, user=user, note=note,
        )
        return Transfer(out, into)


def reserve_stock(product, warehouse, quantity: int) -> StockLevel:
    """Promise units to an order: they stay on hand but can no longer be sold to anyone else."""
    _signed_quantity(MovementKind.SALE, quantity)
    with transaction.atomic():
        level = _lock_stock_level(product, warehouse)
        if not warehouse.allow_backorders and quantity > level.available:
            raise InsufficientStock(
                f"Cannot reserve {quantity} units of {product.sku} in {warehouse.code}: only {level.available} available.",
                product=product.sku, warehouse=warehouse.code, requested=quantity, available=level.available,
            )
        level.reserved += quantity
        level.save(update_fields=["reserved", "updated_at"])
        return level


def release_stock(product, warehouse, quantity: int) -> StockLevel:
    _signed_quantity(MovementKind.SALE, quantity)
    with transaction.atomic():
        level = _lock_stock_level(product, warehouse)
        if quantity > level.reserved:
            raise InvalidQuantity(
                f"Cannot release {quantity} units of {product.sku} in {warehouse.code}: only {level.reserved} reserved.",
                product=product.sku, warehouse=warehouse.code, requested=quantity, reserved=level.reserved,
            )
        level.reserved -= quantity
        level.save(update_fields=["reserved", "updated_at"])
        return level


# --- purchase orders ------------------------------------------------------------------------


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
    _signed_quantity(MovementKind.RECEIPT, quantity)
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(pk=line.order_id)
        line = PurchaseOrderLine.objects.select_for_update().select_related("product").get(pk=line.pk)
        replay = _replayed(idempotency_key, line.product, order.warehouse, MovementKind.RECEIPT, quantity)
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
        warehouse = order.warehouse
        if warehouse.capacity_units is not None:
            warehouse = _lock_warehouse(warehouse)
            _check_capacity(warehouse, quantity)
        level = _lock_stock_level(line.product, warehouse)
        movement = _apply_movement(
            level, kind=MovementKind.RECEIPT, signed_quantity=quantity, reference=order.number,
            idempotency_key=idempotency_key, user=user, note="", line=line,
        )
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

