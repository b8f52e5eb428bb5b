"""Purchase orders through the API: create with lines, the actions, 409 on state conflicts."""
import pytest

from inventory.models import PurchaseOrder, StockLevel, StockMovement
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(planner_client):
    make_supplier(code="SUP"), make_warehouse(code="WPO")
    make_product(sku="PO-A", unit_cost="2.00"), make_product(sku="PO-B")
    response = planner_client.post("/api/v1/purchase-orders/", {
        "supplier": "SUP", "warehouse": "WPO", "notes": "weekly",
        "lines": [{"product": "PO-A", "quantity": 10}, {"product": "PO-B", "quantity": 4, "unit_cost": "1.5"}],
    }, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_create_returns_the_draft_with_lines_and_total(order):
    assert order["status"] == "draft" and order["number"].startswith("PO")
    assert [(line["product"], line["quantity_ordered"]) for line in order["lines"]] == [("PO-A", 10), ("PO-B", 4)]
    assert order["total_cost"] == "26.0000"
    assert order["expected_date"]  # defaulted from the supplier's lead time


def test_create_rejects_duplicate_and_unknown_lines(planner_client):
    make_supplier(code="S"), make_warehouse(code="W"), make_product(sku="A")
    response = planner_client.post("/api/v1/purchase-orders/", {
        "supplier": "S", "warehouse": "W",
        "lines": [{"product": "A", "quantity": 1}, {"product": "A", "quantity": 2}, {"product": "NOPE", "quantity": 1}],
    }, format="json")
    assert response.status_code == 400
    assert "lines" in response.json()["error"]["fields"]
    empty = planner_client.post("/api/v1/purchase-orders/", {"supplier": "S", "warehouse": "W", "lines": []},
                                format="json")
    assert empty.status_code == 400


def test_full_lifecycle_receive_books_stock(planner_client, order):
    pk = order["id"]
    assert planner_client.post(f"/api/v1/purchase-orders/{pk}/approve/").json()["status"] == "approved"
    assert planner_client.post(f"/api/v1/purchase-orders/{pk}/send/").json()["status"] == "sent"
    line_a = order["lines"][0]["id"]
    partial = planner_client.post(f"/api/v1/purchase-orders/{pk}/receive/",
                                  {"lines": [{"line": line_a, "quantity": 6}]}, format="json")
    assert partial.status_code == 200 and partial.json()["status"] == "partially_received"
    rest = planner_client.post(f"/api/v1/purchase-orders/{pk}/receive/", {}, format="json")
    assert rest.json()["status"] == "received"
    levels = {lvl.product.sku: lvl.on_hand for lvl in StockLevel.objects.all()}
    assert levels == {"PO-A": 10, "PO-B": 4}


def test_receive_with_idempotency_key_books_once(planner_client, order):
    pk = order["id"]
    planner_client.post(f"/api/v1/purchase-orders/{pk}/approve/")
    line_a = order["lines"][0]["id"]
    body = {"lines": [{"line": line_a, "quantity": 3}]}
    for _ in range(2):
        response = planner_client.post(f"/api/v1/purchase-orders/{pk}/receive/", body, format="json",
                                       HTTP_IDEMPOTENCY_KEY="grn-77")
        assert response.status_code == 200
    assert StockMovement.objects.filter(purchase_order_line_id=line_a).count() == 1
    assert response.json()["lines"][0]["quantity_received"] == 3


@pytest.mark.parametrize("steps, action", [
    ([], "send"),                      # a draft cannot be sent
    (["approve", "send"], "approve"),  # a sent order cannot be approved again
    (["cancel"], "receive"),           # receiving a cancelled order
    (["cancel"], "cancel"),
    ([], "receive"),                   # a draft has nothing to receive
])
def test_state_conflicts_are_409(planner_client, order, steps, action):
    pk = order["id"]
    for step in steps:
        assert planner_client.post(f"/api/v1/purchase-orders/{pk}/{step}/").status_code == 200
    before = PurchaseOrder.objects.get(pk=pk).status
    response = planner_client.post(f"/api/v1/purchase-orders/{pk}/{action}/", {}, format="json")
    assert response.status_code == 409, response.json()
    assert response.json()["error"]["code"] == "invalid_transition"
    assert PurchaseOrder.objects.get(pk=pk).status == before


def test_over_receipt_is_409_and_changes_nothing(planner_client, order):
    pk = order["id"]
    planner_client.post(f"/api/v1/purchase-orders/{pk}/approve/")
    response = planner_client.post(f"/api/v1/purchase-orders/{pk}/receive/",
                                   {"lines": [{"line": order["lines"][0]["id"], "quantity": 11}]}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "over_receipt"
    assert not StockMovement.objects.exists()


def test_receive_unknown_line_is_400(planner_client, order):
    pk = order["id"]
    planner_client.post(f"/api/v1/purchase-orders/{pk}/approve/")
    response = planner_client.post(f"/api/v1/purchase-orders/{pk}/receive/",
                                   {"lines": [{"line": 999999, "quantity": 1}]}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_quantity"


def test_paperwork_update_and_409_once_closed(planner_client, order):
    pk = order["id"]
    patched = planner_client.patch(f"/api/v1/purchase-orders/{pk}/", {"notes": "call before delivery"},
                                   format="json")
    assert patched.status_code == 200 and patched.json()["notes"] == "call before delivery"
    ignored = planner_client.patch(f"/api/v1/purchase-orders/{pk}/", {"status": "received"}, format="json")
    assert ignored.status_code == 200 and ignored.json()["status"] == "draft"
    planner_client.post(f"/api/v1/purchase-orders/{pk}/cancel/")
    closed = planner_client.patch(f"/api/v1/purchase-orders/{pk}/", {"notes": "x"}, format="json")
    assert closed.status_code == 409


def test_viewer_cannot_run_actions(viewer_client, order):
    response = viewer_client.post(f"/api/v1/purchase-orders/{order['id']}/approve/")
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    assert PurchaseOrder.objects.get(pk=order["id"]).status == "draft"


def test_filter_by_status_and_product(viewer_client, order, planner_client):
    assert viewer_client.get("/api/v1/purchase-orders/?status=draft&product=PO-B").json()["count"] == 1
    assert viewer_client.get("/api/v1/purchase-orders/?status=approved").json()["count"] == 0
