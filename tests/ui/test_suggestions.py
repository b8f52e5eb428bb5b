"""Reorder suggestions: grouping, totals against a budget, bulk approve into one PO, reject with reason."""
from datetime import date

import pytest
from django.urls import reverse

rmodels = pytest.importorskip("replenishment.models")
from inventory.models import PurchaseOrder  # noqa: E402
from tests.factories import make_product, make_warehouse  # noqa: E402

pytestmark = pytest.mark.django_db


def make_suggestion(product, warehouse, quantity, wanted=None, **fields):
    return rmodels.ReorderSuggestion.objects.create(
        product=product, warehouse=warehouse, supplier=product.supplier, method="base_stock",
        demand_source="history", as_of=date(2024, 3, 28),
        quantity=quantity, wanted_quantity=wanted or quantity, order_by=date(2024, 3, 30),
        on_hand=10, on_order=0, lead_time_days=7, forecast_over_lead_time=60, safety_stock=12, target_level=72,
        expected_service_level=0.95, expected_cost=3.2, unit_cost=product.unit_cost,
        explanation=f"Order {quantity} of {product.sku}: demand over lead time 60.", **fields)


@pytest.fixture
def pending(shop):
    other = make_warehouse(code="MAN", name="Manchester")
    return {
        "mug": make_suggestion(shop["mug"], shop["warehouse"], 50),      # 50 x 2 = 100
        "lamp": make_suggestion(shop["lamp"], shop["warehouse"], 8, wanted=12),  # 8 x 10 = 80, cut by budget
        "mug_man": make_suggestion(shop["mug"], other, 20),              # 20 x 2 = 40, another group
    }


def test_groups_totals_and_budget(viewer_client, pending):
    page = viewer_client.get(reverse("ui:suggestions"), {"budget": "200"}).content.decode()
    assert "Acme → LON" in page and "Acme → MAN" in page
    assert 'data-figure="suggestion_total">220<' in page
    assert 'data-figure="budget_remaining">-20<' in page and "Over the budget" in page
    assert "wanted 12" in page and "cut by budget or capacity" in page
    assert 'type="checkbox" name="suggestion"' not in page  # viewers get no checkboxes


def test_bad_budget_is_named(viewer_client, pending):
    page = viewer_client.get(reverse("ui:suggestions"), {"budget": "lots"}).content.decode()
    assert "The budget “lots” is not a number." in page


def test_approve_two_into_one_draft_order(planner_client, pending, shop):
    ids = [pending["mug"].pk, pending["lamp"].pk]
    response = planner_client.post(reverse("ui:suggestions-decide"), {"suggestion": ids, "action": "approve"},
                                   follow=True)
    order = PurchaseOrder.objects.get()
    assert order.status == "draft" and order.warehouse == shop["warehouse"]
    assert sorted(order.lines.values_list("product__sku", "quantity_ordered")) == [("LAMP-1", 8), ("MUG-1", 50)]
    assert order.number in response.content.decode()
    pending["mug"].refresh_from_db()
    assert pending["mug"].status == "approved" and pending["mug"].purchase_order == order


def test_reject_needs_a_reason(planner_client, pending):
    url = reverse("ui:suggestions-decide")
    response = planner_client.post(url, {"suggestion": [pending["mug"].pk], "action": "reject", "reason": " "}, follow=True)
    assert "a reason is required" in response.content.decode()
    pending["mug"].refresh_from_db()
    assert pending["mug"].status == "pending"
    planner_client.post(url, {"suggestion": [pending["mug"].pk], "action": "reject", "reason": "discontinued"})
    pending["mug"].refresh_from_db()
    assert pending["mug"].status == "rejected" and pending["mug"].reject_reason == "discontinued"


def test_deciding_twice_shows_the_service_error(planner_client, pending):
    url = reverse("ui:suggestions-decide")
    planner_client.post(url, {"suggestion": [pending["mug"].pk], "action": "approve"})
    again = planner_client.post(url, {"suggestion": [pending["mug"].pk], "action": "approve"}, follow=True)
    assert "not pending" in again.content.decode()
    assert PurchaseOrder.objects.count() == 1


def test_viewer_cannot_decide(viewer_client, pending):
    response = viewer_client.post(reverse("ui:suggestions-decide"), {"suggestion": [pending["mug"].pk], "action": "approve"})
    assert response.status_code == 403 and not PurchaseOrder.objects.exists()
    assert viewer_client.post(reverse("ui:suggestions-recompute")).status_code == 403


def test_dashboard_and_product_page_show_the_suggestion(viewer_client, pending):
    assert 'data-figure="pending_suggestions">3<' in viewer_client.get(reverse("home")).content.decode()
    page = viewer_client.get(reverse("ui:product", args=["MUG-1"])).content.decode()
    assert 'id="suggestion"' in page and "demand over lead time 60" in page
