"""Backup and restore round trip: the same catalogue, ledger and stock in an emptied database."""
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from inventory import services
from inventory.purchasing import services as purchasing
from inventory.models import Product, PurchaseOrder, StockLevel, StockMovement, Warehouse
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db(transaction=True)


def snapshot():
    return {
        "products": sorted(Product.objects.values_list("sku", "name", "unit_cost")),
        "levels": sorted(StockLevel.objects.values_list("product__sku", "warehouse__code", "on_hand", "reserved")),
        "ledger": sorted(StockMovement.objects.values_list("product__sku", "kind", "quantity", "balance_after", "idempotency_key")),
        "orders": sorted(PurchaseOrder.objects.values_list("number", "status")),
    }


def wipe():
    tables = [m._meta.db_table for m in (StockMovement,)]
    with connection.cursor() as cursor:  # the ledger refuses DELETE by design; TRUNCATE is for tests
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        else:
            cursor.execute(f"DELETE FROM {tables[0]}")
    from inventory.models import PurchaseOrderLine, SalesDay

    for model in (PurchaseOrderLine, PurchaseOrder, StockLevel, SalesDay, Product, Warehouse):
        model.objects.all().delete()


def test_backup_then_restore_into_an_empty_database(tmp_path):
    supplier, warehouse, other = make_supplier(), make_warehouse(code="MAIN"), make_warehouse(code="NORTH")
    mug, pen = make_product(sku="MUG"), make_product(sku="PEN")
    services.receive(mug, warehouse, 40, idempotency_key="open-mug")
    services.sell(mug, warehouse, 7)
    services.transfer_stock(product=mug, source=warehouse, destination=other, quantity=5, idempotency_key="t1")
    order = purchasing.create_purchase_order(supplier=supplier, warehouse=warehouse, lines=[purchasing.OrderLineRequest(pen, 12)])
    purchasing.approve_purchase_order(order)
    purchasing.receive_purchase_order_line(order.lines.get(), 4)
    before = snapshot()

    path = tmp_path / "backup.json.gz"
    call_command("backup", str(path))
    with pytest.raises(CommandError, match="empty database"):
        call_command("restore", str(path))
    wipe()
    assert Product.objects.count() == 0
    call_command("restore", str(path))
    assert snapshot() == before
    # the restored ledger keeps working: replaying a key is still recognised
    again = services.receive(Product.objects.get(sku="MUG"), Warehouse.objects.get(code="MAIN"), 40, idempotency_key="open-mug")
    assert again.balance_after == 40
