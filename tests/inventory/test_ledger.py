"""The stock ledger: every change of stock is one movement written with its level, atomically."""
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from inventory import services
from inventory.errors import CapacityExceeded, IdempotencyConflict, InsufficientStock, InvalidQuantity
from inventory.models import MovementKind, StockLevel, StockMovement
from tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


def ledger_sum(product, warehouse) -> int:
    return StockMovement.objects.filter(product=product, warehouse=warehouse).aggregate(s=Sum("quantity"))["s"] or 0


def level(product, warehouse) -> StockLevel:
    return StockLevel.objects.get(product=product, warehouse=warehouse)


def test_receipt_then_sale_updates_level_and_ledger():
    product, warehouse = make_product(), make_warehouse()
    services.receive(product, warehouse, 30, reference="opening")
    sale = services.sell(product, warehouse, 12)
    assert sale.quantity == -12 and sale.balance_after == 18
    assert level(product, warehouse).on_hand == 18 == ledger_sum(product, warehouse)


def test_sale_beyond_available_is_refused_with_names_and_nothing_written():
    product, warehouse = make_product(sku="MUG-RED"), make_warehouse(code="LON")
    services.receive(product, warehouse, 5)
    with pytest.raises(InsufficientStock) as excinfo:
        services.sell(product, warehouse, 8)
    message = excinfo.value.message
    assert "MUG-RED" in message and "LON" in message and "8" in message and "only 5 available" in message
    assert excinfo.value.fields == {"product": "MUG-RED", "warehouse": "LON", "requested": 8, "available": 5}
    assert level(product, warehouse).on_hand == 5
    assert StockMovement.objects.filter(kind=MovementKind.SALE).count() == 0


def test_reserved_units_cannot_be_sold_to_someone_else():
    product, warehouse = make_product(), make_warehouse()
    services.receive(product, warehouse, 10)
    services.reserve_stock(product, warehouse, 7)
    with pytest.raises(InsufficientStock):
        services.sell(product, warehouse, 4)
    services.sell(product, warehouse, 3)
    services.release_stock(product, warehouse, 7)
    assert level(product, warehouse).available == 7


def test_backorder_warehouse_may_go_negative():
    product, warehouse = make_product(), make_warehouse(allow_backorders=True)
    services.sell(product, warehouse, 4)
    assert level(product, warehouse).on_hand == -4 == ledger_sum(product, warehouse)


def test_database_refuses_negative_stock_even_when_services_are_bypassed():
    product, warehouse = make_product(), make_warehouse()
    services.receive(product, warehouse, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(product=product, warehouse=warehouse).update(on_hand=-1)


def test_database_refuses_a_movement_whose_sign_contradicts_its_kind():
    product, warehouse = make_product(), make_warehouse()
    with pytest.raises(IntegrityError), transaction.atomic():
        StockMovement.objects.create(product=product, warehouse=warehouse, kind="sale", quantity=5, balance_after=5)


def test_ledger_is_append_only():
    product, warehouse = make_product(), make_warehouse()
    movement = services.receive(product, warehouse, 3)
    with pytest.raises(ValueError):
        movement.save()
    with pytest.raises(ValueError):
        movement.delete()
    if connection.vendor == "postgresql":  # the trigger guards against raw updates too
        with pytest.raises(IntegrityError), transaction.atomic():
            StockMovement.objects.filter(pk=movement.pk).update(quantity=300)


def test_transfer_moves_both_sides_together():
    product = make_product()
    source, destination = make_warehouse(), make_warehouse()
    services.receive(product, source, 10)
    moved = services.transfer_stock(product=product, source=source, destination=destination, quantity=4)
    assert (moved.out.quantity, moved.into.quantity) == (-4, 4)
    assert level(product, source).on_hand == 6 and level(product, destination).on_hand == 4


def test_transfer_over_destination_capacity_is_refused_and_both_sides_unchanged():
    product, other = make_product(), make_product()
    source, destination = make_warehouse(), make_warehouse(code="SMALL", capacity_units=10)
    services.receive(product, source, 20)
    services.receive(other, destination, 8)
    with pytest.raises(CapacityExceeded) as excinfo:
        services.transfer_stock(product=product, source=source, destination=destination, quantity=3)
    assert "SMALL" in excinfo.value.message and "exceed its capacity by 1" in excinfo.value.message
    assert level(product, source).on_hand == 20
    assert not StockLevel.objects.filter(product=product, warehouse=destination, on_hand__gt=0).exists()
    assert StockMovement.objects.filter(kind__in=["transfer_out", "transfer_in"]).count() == 0


def test_receipt_over_capacity_is_refused():
    product, warehouse = make_product(), make_warehouse(capacity_units=5)
    services.receive(product, warehouse, 5)
    with pytest.raises(CapacityExceeded):
        services.receive(product, warehouse, 1)


def test_replaying_100_movements_with_the_same_keys_changes_nothing():
    product, warehouse = make_product(), make_warehouse()
    services.receive(product, warehouse, 1000, idempotency_key="opening")
    kinds = [("sale", 3), ("receipt", 5), ("return", 1), ("adjustment", -2)]

    def play():
        return [
            services.record_movement(
                product=product, warehouse=warehouse, kind=kinds[i % 4][0], quantity=kinds[i % 4][1],
                idempotency_key=f"move-{i}",
            ).pk
            for i in range(100)
        ]

    first_ids = play()
    stock_before, ledger_before = level(product, warehouse).on_hand, StockMovement.objects.count()
    assert play() == first_ids
    assert level(product, warehouse).on_hand == stock_before == ledger_sum(product, warehouse)
    assert StockMovement.objects.count() == ledger_before == 101


def test_same_key_for_a_different_movement_is_a_conflict():
    product, warehouse = make_product(), make_warehouse()
    services.receive(product, warehouse, 10, idempotency_key="k1")
    with pytest.raises(IdempotencyConflict):
        services.sell(product, warehouse, 2, idempotency_key="k1")


def test_transfer_replay_is_idempotent():
    product, a, b = make_product(), make_warehouse(), make_warehouse()
    services.receive(product, a, 10)
    first = services.transfer_stock(product=product, source=a, destination=b, quantity=4, idempotency_key="t1")
    again = services.transfer_stock(product=product, source=a, destination=b, quantity=4, idempotency_key="t1")
    assert (first.out.pk, first.into.pk) == (again.out.pk, again.into.pk)
    assert level(product, a).on_hand == 6 and level(product, b).on_hand == 4


@pytest.mark.parametrize("kind,quantity", [("sale", 0), ("sale", -3), ("receipt", 2.5), ("adjustment", 0), ("teleport", 3)])
def test_bad_quantities_are_refused(kind, quantity):
    product, warehouse = make_product(), make_warehouse()
    with pytest.raises(InvalidQuantity):
        services.record_movement(product=product, warehouse=warehouse, kind=kind, quantity=quantity)
    assert StockMovement.objects.count() == 0


def test_stock_count_adjusts_to_the_counted_quantity():
    product, warehouse = make_product(), make_warehouse()
    services.receive(product, warehouse, 10)
    adjustment = services.set_counted_stock(product, warehouse, 7, reason="cycle count")
    assert adjustment.quantity == -3 and level(product, warehouse).on_hand == 7
    assert services.set_counted_stock(product, warehouse, 7) is None
