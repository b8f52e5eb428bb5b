"""End-to-end: a planner and a viewer use the staff UI in a real Chromium."""
import pytest

from inventory.models import StockLevel
from inventory.services import OrderLineRequest, create_purchase_order
from inventory.ui import health

from .conftest import log_in
from .data import PASSWORD, build_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(transactional_db, django_user_model):
    return build_shop(django_user_model)


def _figure(page, name):
    return page.locator(f'[data-figure="{name}"]').inner_text().strip()


def test_dashboard_figures_match_the_database(page, shop, shoot):
    log_in(page, "viewer", PASSWORD)
    page.goto("/")
    service = health.service_figures()
    rows = health.series_health()
    assert _figure(page, "stock_value") == f"{health.stock_value():,.0f}"
    assert _figure(page, "fill_rate") == f"{service.fill_rate * 100:.1f} %"
    assert _figure(page, "stockout_days") == str(service.stockout_days) == "3"
    assert _figure(page, "at_risk") == str(len({r.level.product_id for r in rows if r.at_risk}))
    assert _figure(page, "overstock_value") == f"{sum(r.overstock_value for r in rows):,.0f}"
    shoot(page, "dashboard")
    # Every figure is a link to the list behind it.
    page.locator("#fig-at-risk").click()
    page.wait_for_url("**/products/?risk=at_risk")
    shoot(page, "products-at-risk")
    assert page.locator("#product-table tbody tr").count() >= 1
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    shoot(page, "dashboard-mobile")
    assert page.js_errors == []


def test_product_page_draws_the_chart(page, shop, shoot):
    log_in(page, "viewer", PASSWORD)
    page.goto("/products/")
    page.get_by_label("Search").fill("blue")
    page.get_by_role("button", name="Apply").click()
    shoot(page, "products-search")
    page.get_by_role("link", name="MUG-BLUE").click()
    page.wait_for_selector('#demand-chart[data-drawn="true"]')
    painted = page.evaluate(
        """() => { const c = document.getElementById('demand-chart');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    assert painted > 5000, f"the demand chart looks empty ({painted} painted pixels)"
    assert page.locator('#projection-chart[data-drawn="true"]').count() == 1
    shoot(page, "product")
    assert page.js_errors == []


def test_planner_approves_sends_and_receives_an_order_and_stock_changes(page, shop, shoot):
    order = create_purchase_order(supplier=shop["supplier"], warehouse=shop["north"],
                                  lines=[OrderLineRequest(shop["mug"], 200), OrderLineRequest(shop["teapot"], 10)])
    log_in(page, "planner", PASSWORD)
    page.goto("/orders/")
    shoot(page, "orders")
    page.get_by_role("link", name=order.number).click()
    page.get_by_role("button", name="Approve").click()
    assert "approved" in page.locator(".messages").inner_text()
    page.get_by_role("button", name="Mark as sent").click()
    line = order.lines.get(product=shop["mug"])
    page.get_by_label("Units of MUG-BLUE").fill("150")
    page.get_by_role("button", name="Receive entered quantities").click()
    assert "Received 150 units" in page.locator(".messages").inner_text()
    assert page.locator("#order-status").inner_text() == "Partially received"
    # More than is outstanding: the browser refuses to submit (the server would refuse too,
    # see tests/ui), so nothing is received.
    field = page.get_by_label("Units of MUG-BLUE")
    field.fill("80")
    page.get_by_role("button", name="Receive entered quantities").click()
    assert field.evaluate("el => el.validity.rangeOverflow")
    assert StockLevel.objects.get(product=shop["mug"], warehouse=shop["north"]).on_hand == 120 + 150
    shoot(page, "order-partial")
    page.get_by_role("button", name="Receive everything outstanding").click()
    assert page.locator("#order-status").inner_text() == "Received"
    shoot(page, "order-received")
    assert StockLevel.objects.get(product=shop["mug"], warehouse=shop["north"]).on_hand == 120 + 200
    line.refresh_from_db()
    assert line.quantity_received == 200
    page.goto("/products/MUG-BLUE/")
    assert page.locator('#stock-table tr[data-warehouse="NORTH"] [data-field="on_hand"]').inner_text() == "320"
    assert page.js_errors == []


def test_viewer_sees_no_write_buttons_and_other_pages_render(page, shop, shoot):
    order = create_purchase_order(supplier=shop["supplier"], warehouse=shop["north"],
                                  lines=[OrderLineRequest(shop["mug"], 5)])
    log_in(page, "viewer", PASSWORD)
    page.goto(f"/orders/{order.pk}/")
    assert page.get_by_role("button", name="Approve").count() == 0
    for path, name in [("/promotions/", "promotions"), ("/promotions/plan/", "promotion-planner"),
                       ("/suggestions/", "suggestions"), ("/alerts/", "alerts"), ("/forecasts/", "runs")]:
        page.goto(path)
        assert page.locator("h1").count() == 1
        shoot(page, name)
    assert page.js_errors == []
