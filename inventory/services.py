"""Every inventory write that must stay consistent: one transaction each, under row locks.

Lock order, the same on every path so that concurrent writers cannot deadlock:
purchase order -> warehouses (ascending id, only where capacity is checked) -> stock levels
(ascending product id, then warehouse id). The database constraints on the models back these
rules up, so a write that bypasses this module still cannot make stock negative or over-receive.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from .errors import (
    CapacityExceeded,
    IdempotencyConflict,
    InsufficientStock,
    InvalidQuantity,
)
from .models import (
    INBOUND_KINDS,
    MovementKind,
    Product,
    StockLevel,
    StockMovement,
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


def replayed_movement(idempotency_key: str | None, product, warehouse, kind, signed_quantity) -> StockMovement | None:
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


def signed_quantity(kind: str, quantity: int) -> int:
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
    signed = signed_quantity(kind, quantity)
    with transaction.atomic():
        if (done := replayed_movement(idempotency_key, product, warehouse, kind, signed)) is not None:
            return done
        if signed > 0 and warehouse.capacity_units is not None:
            warehouse = _lock_warehouse(warehouse)
            _check_capacity(warehouse, signed)
        level = _lock_stock_level(product, warehouse)
        # A concurrent request with the same key may have committed while we waited for the lock.
        if (done := replayed_movement(idempotency_key, product, warehouse, kind, signed)) is not None:
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
    signed_quantity(MovementKind.TRANSFER_OUT, quantity)
    key_out = f"{idempotency_key}:out" if idempotency_key else None
    key_in = f"{idempotency_key}:in" if idempotency_key else None
    reference = reference or f"transfer {source.code}->{destination.code}"
    with transaction.atomic():
        done_out = replayed_movement(key_out, product, source, MovementKind.TRANSFER_OUT, -quantity)
        if done_out is not None:
            return Transfer(done_out, StockMovement.objects.get(idempotency_key=key_in))
        if destination.capacity_units is not None:
            destination = _lock_warehouse(destination)
            _check_capacity(destination, quantity)
        levels = _lock_stock_levels([(product, source), (product, destination)])
        done_out = replayed_movement(key_out, product, source, MovementKind.TRANSFER_OUT, -quantity)
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
    signed_quantity(MovementKind.SALE, quantity)
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
    signed_quantity(MovementKind.SALE, quantity)
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


def book_receipt(line, warehouse: Warehouse, quantity: int, *, reference: str, idempotency_key: str | None = None,
                 user=None) -> StockMovement:
    """The ledger side of goods received on a purchase-order line, inside the caller's transaction
    (which already holds the order's lock, the first in the lock order): the warehouse's
    capacity under its lock, then the stock row, then the ledger line pointing at the order line."""
    if warehouse.capacity_units is not None:
        warehouse = _lock_warehouse(warehouse)
        _check_capacity(warehouse, quantity)
    level = _lock_stock_level(line.product, warehouse)
    return _apply_movement(level, kind=MovementKind.RECEIPT, signed_quantity=quantity, reference=reference,
                           idempotency_key=idempotency_key, user=user, note="", line=line)
