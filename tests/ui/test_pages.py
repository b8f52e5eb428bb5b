"""Every staff page: needs login, renders for a viewer, and shows the data it is about."""
import pytest
from django.urls import reverse

from inventory.purchasing.services import OrderLineRequest, create_purchase_order
from tests.factories import make_product

pytestmark = pytest.mark.django_db

PAGES = ["home", "ui:products", "ui:orders", "ui:suggestions", "ui:promotions", "ui:promotion-planner",
         "ui:alerts", "ui:runs"]


@pytest.mark.parametrize("name", PAGES)
def test_pages_need_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
def test_pages_render_empty_for_a_viewer(viewer_client, name):
    response = viewer_client.get(reverse(name))
    assert response.status_code == 200
    assert b"<h1" in response.content


def test_dashboard_figures_come_from_the_database(viewer_client, shop):
    page = viewer_client.get(reverse("home")).content.decode()
    # 40 mugs at 2 + 500 lamps at 10
    assert 'data-figure="stock_value">5,080<' in page
    assert 'data-figure="fill_rate">93.5 %<' in page  # 288 / 308
    assert 'data-figure="stockout_days">2<' in page
    assert 'data-figure="at_risk">1<' in page
    assert 'data-figure="overstock_value">4,100<' in page
    assert f'{reverse("ui:products")}?risk=at_risk' in page


def test_dashboard_says_what_to_do_when_empty(viewer_client):
    page = viewer_client.get(reverse("home")).content.decode()
    assert "No products yet" in page


def test_product_list_search_and_risk_filter(viewer_client, shop):
    url = reverse("ui:products")
    assert "MUG-1" in viewer_client.get(url, {"q": "mug"}).content.decode()
    assert "LAMP-1" not in viewer_client.get(url, {"q": "mug"}).content.decode()
    at_risk = viewer_client.get(url, {"risk": "at_risk"}).content.decode()
    assert "MUG-1" in at_risk and "LAMP-1" not in at_risk
    overstock = viewer_client.get(url, {"risk": "overstock"}).content.decode()
    assert "LAMP-1" in overstock and "MUG-1" not in overstock
    empty = viewer_client.get(url, {"q": "nothing-like-this"}).content.decode()
    assert "No product matches these filters" in empty


def test_product_list_demand_class_and_category_filters(viewer_client, shop):
    url = reverse("ui:products")
    smooth = viewer_client.get(url, {"demand_class": "smooth"}).content.decode()
    assert "LAMP-1" in smooth  # sells 1 every day: ADI 1, CV2 0
    assert "MUG-1" in viewer_client.get(url, {"category": shop["category"].pk}).content.decode()
    assert "MUG-1" not in viewer_client.get(url, {"demand_class": "lumpy"}).content.decode()


def test_product_page_has_chart_data_stock_and_similar_products(viewer_client, shop):
    page = viewer_client.get(reverse("ui:product", args=["MUG-1"])).content.decode()
    assert 'id="demand-chart"' in page and 'id="demand-data"' in page
    # The chart's numbers as a table too: the last day, out of stock, sold nothing.
    assert 'id="demand-numbers"' in page and '<td>28 Mar 2024</td><td class="num">0</td>' in page
    assert 'data-field="on_hand">40<' in page
    assert "LAMP-1" in page  # same category: similar products
    assert "projection-data" in page


def test_unknown_product_is_404(viewer_client, db):
    assert viewer_client.get(reverse("ui:product", args=["NOPE"])).status_code == 404


def _draft(shop, quantity=30):
    return create_purchase_order(supplier=shop["supplier"], warehouse=shop["warehouse"],
                                 lines=[OrderLineRequest(shop["mug"], quantity)])


def test_order_pages_list_and_detail(viewer_client, shop):
    order = _draft(shop)
    assert order.number in viewer_client.get(reverse("ui:orders")).content.decode()
    planner_page = viewer_client.get(reverse("ui:order", args=[order.pk]))
    assert planner_page.status_code == 200
    detail = viewer_client.get(reverse("ui:order", args=[order.pk])).content.decode()
    assert "MUG-1" in detail and ">Approve</button>" not in detail  # viewers see no write buttons


@pytest.mark.parametrize("action", ["approve", "send", "cancel"])
def test_viewer_cannot_change_orders(viewer_client, shop, action):
    order = _draft(shop)
    assert viewer_client.post(reverse("ui:order-action", args=[order.pk, action])).status_code == 403
    assert viewer_client.post(reverse("ui:order-receive", args=[order.pk]), {"mode": "full"}).status_code == 403
    order.refresh_from_db()
    assert order.status == "draft"


def test_actions_refuse_get(planner_client, shop):
    order = _draft(shop)
    assert planner_client.get(reverse("ui:order-action", args=[order.pk, "approve"])).status_code == 405


def test_planner_approves_sends_and_receives_partly_then_fully(planner_client, shop):
    order = _draft(shop, 30)
    line = order.lines.get()
    planner_client.post(reverse("ui:order-action", args=[order.pk, "approve"]))
    planner_client.post(reverse("ui:order-action", args=[order.pk, "send"]))
    order.refresh_from_db()
    assert order.status == "sent"
    response = planner_client.post(reverse("ui:order-receive", args=[order.pk]), {f"qty-{line.pk}": "12"}, follow=True)
    assert "Received 12 units" in response.content.decode()
    order.refresh_from_db()
    assert order.status == "partially_received"
    assert shop["mug"].stock_levels.get().on_hand == 52
    planner_client.post(reverse("ui:order-receive", args=[order.pk]), {"mode": "full"})
    order.refresh_from_db()
    assert order.status == "received" and shop["mug"].stock_levels.get().on_hand == 70


def test_stock_errors_are_shown_and_nothing_changes(planner_client, shop):
    order = _draft(shop, 5)
    line = order.lines.get()
    # A draft cannot be received: the service refuses and the page shows its message.
    response = planner_client.post(reverse("ui:order-receive", args=[order.pk]), {"mode": "full"}, follow=True)
    assert "nothing can be received" in response.content.decode()
    planner_client.post(reverse("ui:order-action", args=[order.pk, "approve"]))
    over = planner_client.post(reverse("ui:order-receive", args=[order.pk]), {f"qty-{line.pk}": "9"}, follow=True)
    assert "at most 5 more" in over.content.decode()
    bad = planner_client.post(reverse("ui:order-receive", args=[order.pk]), {f"qty-{line.pk}": "two"}, follow=True)
    assert "is not a whole number" in bad.content.decode()
    assert shop["mug"].stock_levels.get().on_hand == 40


def test_planner_sees_the_order_buttons(planner_client, shop):
    order = _draft(shop)
    detail = planner_client.get(reverse("ui:order", args=[order.pk])).content.decode()
    assert ">Approve</button>" in detail and ">Cancel order</button>" in detail


def test_dashboard_without_in_stock_flags_says_so(viewer_client, shop):
    from inventory.models import SalesDay

    SalesDay.objects.update(in_stock=None)
    page = viewer_client.get(reverse("home")).content.decode()
    assert 'data-figure="fill_rate">—<' in page and "has no in-stock flags" in page
    assert 'data-figure="stockout_days">—<' in page


def test_a_product_without_unit_cost_is_flagged_on_its_page(viewer_client, shop, settings):
    settings.STOCKCAST_DEFAULT_SERVICE_LEVEL = 0.95
    free = make_product(sku="FREE-1", unit_cost="0")
    page = viewer_client.get(reverse("ui:product", args=[free.sku])).content.decode()
    assert 'id="no-unit-cost"' in page and "target the default 95 % service level" in page
    costed = viewer_client.get(reverse("ui:product", args=["MUG-1"])).content.decode()
    assert 'id="no-unit-cost"' not in costed
