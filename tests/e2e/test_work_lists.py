"""A planner's morning on a catalogue of the demo's size (4,900 pending suggestions, 2,600
alerts, a third of the products without a unit cost), in a real Chromium."""
from datetime import timedelta
from decimal import Decimal

import pytest

from inventory.models import Product, Warehouse
from insights.models import Alert
from replenishment.models import ReorderSuggestion
from staff.suggestions import PAGE_SIZE as SUGGESTIONS_PAGE
from tests.factories import make_supplier

from .conftest import SCREENSHOTS, log_in
from .data import PASSWORD, build_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAIRS = 4900


@pytest.fixture
def morning(transactional_db, django_user_model):
    shop = build_shop(django_user_model)
    supplier = make_supplier(code="BULK", name="Bulk supplier")
    warehouses = [Warehouse.objects.create(code=f"W{i}", name=f"Warehouse {i}") for i in range(3)]
    products = Product.objects.bulk_create(
        Product(sku=f"SKU-{i:05d}", name=f"Product {i}", supplier=supplier,
                unit_cost=Decimal("0") if i % 3 == 0 else Decimal(1 + i % 97), price=Decimal(5 + i % 50))
        for i in range(PAIRS))
    end = shop["end"]
    ReorderSuggestion.objects.bulk_create(
        ReorderSuggestion(product=p, warehouse=warehouses[i % 3], supplier=supplier, method="base_stock",
                          demand_source="forecast", as_of=end, quantity=1 + (i * 7) % 50, wanted_quantity=1 + (i * 7) % 50,
                          order_by=end + timedelta(days=i % 20 - 5), on_hand=0, on_order=0, lead_time_days=14,
                          forecast_over_lead_time=10, safety_stock=3, target_level=13, expected_service_level=0.95,
                          expected_cost=1.0, unit_cost=p.unit_cost, explanation=f"Order for {p.sku}.")
        for i, p in enumerate(products))
    Alert.objects.bulk_create(
        Alert(kind="stockout_risk", severity="critical" if i % 4 == 0 else "warning", product=p,
              warehouse=warehouses[i % 3], subject_key=f"stockout_risk:{p.pk}:{warehouses[i % 3].pk}",
              message=f"{p.sku} may run out.", money_at_stake=round((i * 37) % 900 / 10, 2))
        for i, p in enumerate(products[:2600]))
    return {**shop, "warehouses": warehouses, "products": products}


def test_the_suggestions_work_list_at_demo_size(page, morning, shoot):
    log_in(page, "planner", PASSWORD)
    page.goto("/suggestions/")
    assert page.locator(".suggestion-table tbody tr").count() == SUGGESTIONS_PAGE
    assert f"Page 1 of {-(-PAIRS // SUGGESTIONS_PAGE)} ({PAIRS} in all)" in page.locator(".pagination").inner_text()
    shoot(page, "suggestions-due-first")

    page.select_option("#f-sort", "value")
    page.get_by_role("button", name="Apply").click()
    first = page.locator(".suggestion-table tbody tr").first.locator("td").nth(4).inner_text()
    largest = max(s.quantity * s.unit_cost for s in ReorderSuggestion.objects.all())
    assert first.replace(",", "") == f"{largest:.2f}"
    shoot(page, "suggestions-by-value")
    page.screenshot(path=str(SCREENSHOTS / "suggestions-by-value-top.png"))

    page.select_option("#f-warehouse", "W1")
    page.get_by_role("button", name="Apply").click()
    in_w1 = ReorderSuggestion.objects.filter(warehouse__code="W1", status="pending").count()
    page.locator("#approve-matching input[name=confirm_count]").check()
    page.get_by_role("button", name="Approve all matching").click()
    assert f"Approved {in_w1} suggestions" in page.locator(".messages").inner_text()
    assert ReorderSuggestion.objects.filter(warehouse__code="W1", status="approved").count() == in_w1
    assert ReorderSuggestion.objects.exclude(warehouse__code="W1").filter(status="pending").count() == PAIRS - in_w1
    assert page.js_errors == []


def test_alerts_dashboard_and_an_uncosted_product_at_demo_size(page, morning, shoot):
    log_in(page, "viewer", PASSWORD)
    page.goto("/alerts/")
    rows = page.locator("#alert-table tbody tr")
    assert rows.count() == 50
    assert "Critical" in rows.first.inner_text()
    assert "folded here" in page.locator("#alert-digest").inner_text()
    shoot(page, "alerts-ranked")
    page.screenshot(path=str(SCREENSHOTS / "alerts-ranked-top.png"))

    page.goto("/")
    assert page.locator('[data-figure="due_orders"]').count() == 1
    assert page.locator("canvas[data-drawn=true]").count() >= 2  # the trend charts drew
    shoot(page, "dashboard-today")

    uncosted = Product.objects.filter(sku__startswith="SKU-", unit_cost=0).first()
    page.goto(f"/products/{uncosted.sku}/")
    assert page.locator("#no-unit-cost").is_visible()
    assert page.js_errors == []
