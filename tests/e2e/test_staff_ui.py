"""End-to-end: a planner and a viewer use the staff UI in a real Chromium."""
import pytest

from inventory.models import PurchaseOrder, StockLevel
from inventory.purchasing.services import OrderLineRequest, create_purchase_order
from replenishment.replays import replay_history
from insights.models import Alert
from staff import health

from .conftest import log_in
from .data import PASSWORD, add_forecast, build_shop

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop(transactional_db, django_user_model):
    return build_shop(django_user_model)


def _figure(page, name):
    return page.locator(f'[data-figure="{name}"]').inner_text().strip()


def test_viewer_reads_dashboard_products_and_every_page(page, shop, shoot):
    add_forecast(shop)
    Alert.objects.create(kind="stockout_risk", severity="critical", product=shop["mug"],
                               warehouse=shop["south"], message="MUG-BLUE may run out in SOUTH before delivery.")
    draft = create_purchase_order(supplier=shop["supplier"], warehouse=shop["north"],
                                  lines=[OrderLineRequest(shop["mug_red"], 5)])
    page.goto("/")  # every page needs a login
    assert "/accounts/login/" in page.url
    shoot(page, "login")
    log_in(page, "viewer", PASSWORD)

    # The dashboard's figures are the database's.
    page.goto("/")
    service = health.service_figures()
    rows = health.series_health()
    assert _figure(page, "stock_value") == f"{health.stock_value():,.0f}"
    assert _figure(page, "fill_rate") == f"{service.fill_rate * 100:.1f} %"
    assert _figure(page, "stockout_days") == str(service.stockout_days) == "3"
    assert service.window.end == shop["end"]
    assert _figure(page, "at_risk") == str(len({r.level.product_id for r in rows if r.at_risk})) == "1"
    assert _figure(page, "overstock_value") == f"{sum(r.overstock_value for r in rows):,.0f}"
    assert _figure(page, "open_alerts") == "1"
    assert _figure(page, "accuracy") == "0.710"
    shoot(page, "dashboard")
    # Every figure is a link to the list behind it.
    page.locator("#fig-at-risk").click()
    page.wait_for_url("**/products/?risk=at_risk")
    assert [r.inner_text() for r in page.locator("#product-table tbody tr td:first-child").all()] == ["MUG-BLUE"]
    shoot(page, "products-at-risk")

    # Search, open the product, see the chart drawn.
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
    legend = page.evaluate("() => Chart.getChart('demand-chart').data.datasets.map(d => d.label)")
    assert "Forecast p50" in legend and "p10–p90 band" in legend
    assert "Seasonality and calendar" in page.locator("#explanation").inner_text()
    assert page.locator('#projection-chart[data-drawn="true"]').count() == 1
    shoot(page, "product")

    # Viewers read everything and get no write buttons.
    page.goto(f"/orders/{draft.pk}/")
    assert page.get_by_role("button", name="Approve").count() == 0
    for path, name in [("/promotions/", "promotions"), ("/promotions/plan/", "promotion-planner"),
                       ("/suggestions/", "suggestions"), ("/alerts/", "alerts"), ("/forecasts/", "runs")]:
        page.goto(path)
        assert page.locator("h1").count() == 1
        shoot(page, f"viewer-{name}")
    replay_history(periods=2, freq="W", as_of=shop["end"])
    page.goto("/replay/")
    assert page.locator('#replay-chart[data-drawn="true"]').count() == 1
    assert page.locator("#replay-pairs tbody tr").count() >= 1
    shoot(page, "viewer-replay")
    page.goto("/alerts/")
    assert "MUG-BLUE may run out" in page.locator("#alert-table").inner_text()
    assert page.get_by_role("button", name="Resolve").count() == 0
    page.get_by_role("link", name="Password").click()
    assert page.get_by_label("Old password").count() == 1
    shoot(page, "password-change")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    shoot(page, "dashboard-mobile")
    page.goto("/products/MUG-BLUE/")
    shoot(page, "product-mobile")
    assert page.js_errors == []


def _suggest(shop, product, quantity):
    from replenishment.models import ReorderSuggestion

    return ReorderSuggestion.objects.create(
        product=product, warehouse=shop["north"], supplier=product.supplier, method="base_stock",
        demand_source="history", as_of=shop["end"], quantity=quantity, wanted_quantity=quantity,
        order_by=shop["end"], on_hand=0, on_order=0, lead_time_days=10, forecast_over_lead_time=quantity,
        safety_stock=5, target_level=quantity, expected_service_level=0.95, expected_cost=1.0,
        unit_cost=product.unit_cost, explanation=f"Order {quantity} of {product.sku} to cover lead-time demand.")


def test_planner_approves_two_suggestions_into_one_order_and_receives_it(page, shop, shoot):
    _suggest(shop, shop["mug"], 200)
    _suggest(shop, shop["teapot"], 10)
    log_in(page, "planner", PASSWORD)
    page.goto("/suggestions/")
    shoot(page, "suggestions")
    page.get_by_label("Select MUG-BLUE for NORTH").check()
    page.get_by_label("Select TEAPOT for NORTH").check()
    page.get_by_role("button", name="Approve selected into draft orders").click()
    assert "Approved 2 suggestions into draft purchase order" in page.locator(".messages").inner_text()
    order = PurchaseOrder.objects.get()
    page.locator(".messages").get_by_role("link", name=order.number).click()
    assert order.lines.count() == 2
    page.get_by_role("button", name="Approve").click()
    assert "approved" in page.locator(".messages").inner_text()
    page.get_by_role("button", name="Mark as sent").click()
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
    page.goto("/products/MUG-BLUE/")
    assert page.locator('#stock-table tr[data-warehouse="NORTH"] [data-field="on_hand"]').inner_text() == "320"
    page.goto("/orders/")
    shoot(page, "orders")
    page.goto("/admin/")  # the admin index doubles as a dashboard
    assert page.locator("#key-figures [data-figure=at_risk]").inner_text() == str(
        len({r.level.product_id for r in health.series_health() if r.at_risk}))
    shoot(page, "admin-index")
    assert page.js_errors == []


def test_planner_plans_a_promotion_and_reads_a_bad_import_report(page, shop, shoot, tmp_path):
    from datetime import timedelta

    from django.utils import timezone

    from inventory.models import Promotion

    log_in(page, "planner", PASSWORD)
    alert = Alert.objects.create(kind="overstock", severity="warning", product=shop["teapot"],
                                 warehouse=shop["north"], message="TEAPOT holds 2,700 days of cover.")
    page.goto("/alerts/")
    page.get_by_label("Note").fill("clearance next month")
    page.get_by_role("button", name="Acknowledge").click()
    assert "acknowledged" in page.locator(".messages").inner_text().lower()
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.note == "clearance next month"
    shoot(page, "alerts-planner")
    page.goto("/products/MUG-BLUE/")
    page.get_by_role("link", name="Plan a promotion for this product").click()
    start = timezone.localdate() + timedelta(days=21)
    page.get_by_label("NORTH · Leeds").check()
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill((start + timedelta(days=6)).isoformat())
    page.get_by_label("Discount (%)").fill("30")
    page.get_by_role("button", name="Estimate").click()
    page.wait_for_selector("#whatif-result")
    with_units = float(page.locator('[data-figure="units_with"]').inner_text().replace(",", ""))
    row = page.locator("#whatif-table tbody tr").first.inner_text()
    assert "MUG-BLUE" in row and "NORTH" in row and with_units > 0
    shoot(page, "promotion-whatif")
    page.get_by_label("Promotion name").fill("Autumn mugs")
    page.get_by_role("button", name="Save as a planned promotion").click()
    page.wait_for_selector("text=saved as planned")
    promo = Promotion.objects.get(name="Autumn mugs")
    assert promo.start_date == start and list(promo.warehouses.values_list("code", flat=True)) == ["NORTH"]
    shoot(page, "promotion-saved")
    _bad_import_file_shows_its_error_report(page, shop, shoot, tmp_path, logged_in=True)


def _bad_import_file_shows_its_error_report(page, shop, shoot, tmp_path, logged_in=False):
    bad = tmp_path / "bad_sales.csv"
    bad.write_text("sku,warehouse,date,units\nMUG-BLUE,NORTH,2024-07-01,3\nMUG-BLUE,NORTH,not-a-date,2\n"
                   "TEAPOT,NORTH,2024-07-01,-4\n")
    if not logged_in:
        log_in(page, "planner", PASSWORD)
    page.goto("/")
    page.get_by_role("link", name="Imports").click()
    page.goto("/imports/new/")
    page.get_by_label("Format").select_option("generic")
    page.get_by_label("Files").set_input_files(str(bad))
    page.get_by_role("button", name="Start import").click()
    page.wait_for_selector("#problem-table", timeout=20_000)
    report = page.locator("#problem-table").inner_text()
    assert "not-a-date" in report and "3" in report  # the bad date, on line 3
    shoot(page, "import-bad-file")
    from inventory.models import SalesDay

    assert not SalesDay.objects.filter(date="2024-07-01").exists()  # all or nothing
