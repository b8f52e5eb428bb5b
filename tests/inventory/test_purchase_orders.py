"""Purchase orders: their life cycle, and receipts that write the ledger."""
import pytest
from django.db.models import Sum

from inventory import selectors
from inventory.purchasing import selectors as purchasing_selectors, services as purchasing
from inventory.errors import InvalidTransition, OverReceipt
from inventory.models import PurchaseOrder, StockLevel, StockMovement
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    supplier, warehouse = make_supplier(), make_warehouse(code="MAIN")
    a, b = make_product(sku="A-1"), make_product(sku="B-2")
    return purchasing.create_purchase_order(
        supplier=supplier, warehouse=warehouse,
        lines=[purchasing.OrderLineRequest(a, 10), purchasing.OrderLineRequest(b, 5)],
    )


def test_new_order_is_a_draft_with_a_number_and_lines(order):
    assert order.status == PurchaseOrder.Status.DRAFT and order.number.startswith("PO")
    assert order.lines.count() == 2


def test_life_cycle_and_on_order(order):
    line = order.lines.get(product__sku="A-1")
    assert purchasing_selectors.on_order_quantity(line.product, order.warehouse) == 0  # drafts are not on order
    purchasing.approve_purchase_order(order)
    purchasing.send_purchase_order(order)
    assert purchasing_selectors.on_order_quantity(line.product, order.warehouse) == 10
    purchasing.receive_purchase_order_line(line, 4)
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.PARTIALLY_RECEIVED
    assert purchasing_selectors.on_order_quantity(line.product, order.warehouse) == 6
    purchasing.receive_purchase_order(order)
    order.refresh_from_db()
    assert order.status == PurchaseOrder.Status.RECEIVED
    assert StockLevel.objects.get(product=line.product, warehouse=order.warehouse).on_hand == 10
    assert StockMovement.objects.filter(purchase_order_line__order=order).aggregate(s=Sum("quantity"))["s"] == 15
    annotated = {s.product.sku: s.on_order for s in selectors.stock_levels_with_on_order()}
    assert annotated == {"A-1": 0, "B-2": 0}


def test_receiving_beyond_the_ordered_quantity_is_refused(order):
    purchasing.approve_purchase_order(order)
    purchasing.send_purchase_order(order)
    line = order.lines.get(product__sku="B-2")
    purchasing.receive_purchase_order_line(line, 5)
    with pytest.raises(OverReceipt) as excinfo:
        purchasing.receive_purchase_order_line(line, 1)
    assert "B-2" in excinfo.value.message and "5 ordered, 5 already received" in excinfo.value.message
    line.refresh_from_db()
    assert line.quantity_received == 5
    assert StockLevel.objects.get(product=line.product, warehouse=order.warehouse).on_hand == 5


def test_a_draft_or_cancelled_order_cannot_be_received(order):
    line = order.lines.first()
    with pytest.raises(InvalidTransition):
        purchasing.receive_purchase_order_line(line, 1)
    purchasing.cancel_purchase_order(order)
    with pytest.raises(InvalidTransition):
        purchasing.receive_purchase_order_line(line, 1)
    with pytest.raises(InvalidTransition):
        purchasing.approve_purchase_order(order)
    assert StockMovement.objects.count() == 0


def test_an_order_with_receipts_cannot_be_cancelled(order):
    purchasing.approve_purchase_order(order)
    purchasing.receive_purchase_order_line(order.lines.first(), 1)
    with pytest.raises(InvalidTransition):
        purchasing.cancel_purchase_order(order)
