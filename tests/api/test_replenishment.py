"""Reorder suggestions: list and filters, bulk approve into purchase orders, bulk reject, 409s,
and the stock-level filter that compares against the suggestion's reorder point."""
from datetime import date

import pytest

from inventory import services as inventory_services
from inventory.models import PurchaseOrder
from replenishment.models import ReorderSuggestion
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db


def suggest(product, warehouse, quantity=24, target=30.0, **fields):
    values = dict(
        product=product, warehouse=warehouse, supplier=product.supplier, method="base_stock",
        demand_source="forecast", as_of=date(2026, 11, 29), quantity=quantity, wanted_quantity=quantity,
        order_by=date(2026, 12, 1), on_hand=6, on_order=0, lead_time_days=7.0, forecast_over_lead_time=20.0,
        safety_stock=10.0, target_level=target, expected_service_level=0.95, expected_cost=12.5,
        unit_cost=product.unit_cost, explanation="Order 24: 20 expected over 14 days + 10 safety - 6 on hand.",
    )
    return ReorderSuggestion.objects.create(**{**values, **fields})


@pytest.fixture
def pending():
    acme, other = make_supplier(code="ACME"), make_supplier(code="OTHER")
    warehouse = make_warehouse(code="RW")
    products = [make_product(sku="R-1", supplier=acme), make_product(sku="R-2", supplier=acme),
                make_product(sku="R-3", supplier=other)]
    return [suggest(p, warehouse) for p in products]


def test_list_filters_and_detail(pending, viewer_client):
    body = viewer_client.get("/api/v1/reorder-suggestions/?status=pending&supplier=ACME").json()
    assert body["count"] == 2 and {r["product"] for r in body["results"]} == {"R-1", "R-2"}
    detail = viewer_client.get(f"/api/v1/reorder-suggestions/{pending[0].pk}/").json()
    assert detail["explanation"].startswith("Order 24") and detail["supplier"] == "ACME"


def test_bulk_approve_makes_one_order_per_supplier(pending, planner_client):
    response = planner_client.post("/api/v1/reorder-suggestions/approve/", {"ids": [s.pk for s in pending]},
                                   format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["approved"] == 3
    assert sorted(o["supplier"] for o in body["purchase_orders"]) == ["ACME", "OTHER"]
    acme = next(o for o in body["purchase_orders"] if o["supplier"] == "ACME")
    assert sorted(line["product"] for line in acme["lines"]) == ["R-1", "R-2"] and acme["status"] == "draft"
    assert set(ReorderSuggestion.objects.values_list("status", flat=True)) == {"approved"}
    assert PurchaseOrder.objects.count() == 2


def test_approving_twice_is_409_and_changes_nothing(pending, planner_client):
    ids = [pending[0].pk]
    assert planner_client.post("/api/v1/reorder-suggestions/approve/", {"ids": ids}, format="json").status_code == 200
    again = planner_client.post("/api/v1/reorder-suggestions/approve/", {"ids": [pending[1].pk, pending[0].pk]},
                                format="json")
    assert again.status_code == 409
    assert again.json()["error"]["fields"]["not_pending"] == [pending[0].pk]
    assert ReorderSuggestion.objects.get(pk=pending[1].pk).status == "pending"
    assert PurchaseOrder.objects.count() == 1


def test_bulk_reject_needs_a_reason_and_known_ids(pending, planner_client):
    no_reason = planner_client.post("/api/v1/reorder-suggestions/reject/", {"ids": [pending[0].pk]}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    unknown = planner_client.post("/api/v1/reorder-suggestions/reject/", {"ids": [999999], "reason": "x"},
                                  format="json")
    assert unknown.status_code == 400 and "ids" in unknown.json()["error"]["fields"]
    done = planner_client.post("/api/v1/reorder-suggestions/reject/",
                               {"ids": [pending[0].pk, pending[2].pk], "reason": "delisted"}, format="json")
    assert done.status_code == 200 and done.json() == {"rejected": 2}
    assert ReorderSuggestion.objects.get(pk=pending[0].pk).reject_reason == "delisted"


def test_viewer_cannot_decide(pending, viewer_client, anon_client):
    assert viewer_client.post("/api/v1/reorder-suggestions/approve/", {"ids": [pending[0].pk]},
                              format="json").status_code == 403
    assert anon_client.get("/api/v1/reorder-suggestions/").status_code == 401
    assert ReorderSuggestion.objects.filter(status="pending").count() == 3


def test_product_without_supplier_is_422(planner_client):
    suggestion = suggest(make_product(sku="NOSUP"), make_warehouse(code="RX"))
    response = planner_client.post("/api/v1/reorder-suggestions/approve/", {"ids": [suggestion.pk]}, format="json")
    assert response.status_code == 422 and "supplier" in response.json()["error"]["message"]


def test_stock_levels_below_reorder_point(viewer_client):
    warehouse = make_warehouse(code="RP")
    low, high, never = make_product(sku="LOW"), make_product(sku="HIGH"), make_product(sku="NEVER")
    for product, units in ((low, 5), (high, 50), (never, 1)):
        inventory_services.receive(product, warehouse, units)
    suggest(low, warehouse, target=30.0)
    suggest(high, warehouse, target=30.0)
    rows = viewer_client.get("/api/v1/stock-levels/?below_reorder_point=true").json()["results"]
    assert [(r["sku"], r["reorder_point"]) for r in rows] == [("LOW", 30.0)]
    others = viewer_client.get("/api/v1/stock-levels/?below_reorder_point=false").json()["results"]
    assert {r["sku"] for r in others} == {"HIGH", "NEVER"}
