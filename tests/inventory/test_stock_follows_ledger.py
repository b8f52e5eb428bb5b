"""On PostgreSQL, on-hand stock cannot change without its ledger line (migration 0008)."""
import pytest
from django.db import IntegrityError, transaction

from inventory import services
from inventory.models import StockLevel
from tests.factories import make_product, make_warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_direct_update_of_on_hand_fails_at_commit_and_keeps_nothing():
    product, warehouse = make_product(sku="L-1"), make_warehouse(code="WL1")
    services.receive(product, warehouse, 10)
    with pytest.raises(IntegrityError, match="ledger says 10"):
        with transaction.atomic():
            StockLevel.objects.filter(product=product, warehouse=warehouse).update(on_hand=500)
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 10


def test_movements_and_reservations_commit_as_before():
    product, a, b = make_product(sku="L-2"), make_warehouse(code="WL2"), make_warehouse(code="WL3")
    with transaction.atomic():  # several movements of one pair in one transaction
        services.receive(product, a, 10)
        services.sell(product, a, 3)
        services.transfer_stock(product=product, source=a, destination=b, quantity=2)
    services.reserve_stock(product, a, 1)
    levels = {lvl.warehouse.code: (lvl.on_hand, lvl.reserved) for lvl in StockLevel.objects.filter(product=product)}
    assert levels == {"WL2": (5, 1), "WL3": (2, 0)}
