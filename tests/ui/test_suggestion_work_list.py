"""The suggestions page as a work list: paged on the server, due first or by value, totals of
everything matching, approve-all-matching behind a confirmed count, CSV export as shown."""
import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse

from inventory.models import PurchaseOrder
from replenishment.models import ReorderSuggestion
from staff import suggestions as page_module
from tests.factories import make_product, make_warehouse
from tests.ui.test_suggestions import make_suggestion

pytestmark = pytest.mark.django_db


def suggest(product, warehouse, quantity, order_by):
    s = make_suggestion(product, warehouse, quantity)
    ReorderSuggestion.objects.filter(pk=s.pk).update(order_by=order_by)
    return s


@pytest.fixture
def many(shop):
    """Three due dates and three line values in two warehouses, plus a hostile product name."""
    other = make_warehouse(code="MAN", name="Manchester")
    evil = make_product(sku="EVIL-1", name="=HYPERLINK(\"http://x\")", unit_cost="3.00", supplier=shop["mug"].supplier)
    rows = {
        "late_big": suggest(shop["lamp"], shop["warehouse"], 30, date(2024, 4, 9)),   # 300
        "soon_small": suggest(shop["mug"], shop["warehouse"], 5, date(2024, 3, 29)),  # 10
        "mid": suggest(evil, other, 20, date(2024, 4, 2)),                           # 60
    }
    return rows


def _skus(html: str, skus) -> list[str]:
    return sorted(skus, key=lambda sku: html.index(f">{sku}</a>"))


def test_due_first_by_default_and_by_value_on_request(viewer_client, many):
    html = viewer_client.get(reverse("ui:suggestions")).content.decode()
    assert _skus(html, ["LAMP-1", "MUG-1", "EVIL-1"]) == ["MUG-1", "EVIL-1", "LAMP-1"]
    html = viewer_client.get(reverse("ui:suggestions"), {"sort": "value"}).content.decode()
    assert _skus(html, ["LAMP-1", "MUG-1", "EVIL-1"]) == ["LAMP-1", "EVIL-1", "MUG-1"]
    # an unknown sort falls back to the default instead of failing
    assert viewer_client.get(reverse("ui:suggestions"), {"sort": "nonsense"}).status_code == 200


def test_pages_hold_page_size_rows_and_totals_cover_every_page(viewer_client, shop, monkeypatch):
    monkeypatch.setattr(page_module, "PAGE_SIZE", 2)
    start = date(2024, 3, 29)
    for i in range(5):
        product = make_product(sku=f"P-{i}", unit_cost="1.00", supplier=shop["mug"].supplier)
        suggest(product, shop["warehouse"], 10 + i, start + timedelta(days=i))
    first = viewer_client.get(reverse("ui:suggestions")).content.decode()
    assert ">P-0</a>" in first and ">P-1</a>" in first and ">P-2</a>" not in first
    assert "Page 1 of 3 (5 in all)" in first
    assert 'data-figure="suggestion_count">5<' in first and 'data-figure="suggestion_total">60<' in first
    last = viewer_client.get(reverse("ui:suggestions"), {"page": 3}).content.decode()
    assert ">P-4</a>" in last and ">P-0</a>" not in last


def test_approve_all_matching_needs_the_count_the_page_showed(planner_client, many):
    url = reverse("ui:suggestions-decide")
    # confirmed 2, but the LON filter matches 2 and the whole list 3: the unfiltered post is refused
    refused = planner_client.post(url, {"scope": "matching", "action": "approve", "confirm_count": "2"}, follow=True)
    assert "3 suggestions match now, not the 2 shown" in refused.content.decode()
    assert not PurchaseOrder.objects.exists()
    done = planner_client.post(url, {"scope": "matching", "action": "approve", "warehouse": "LON",
                                     "confirm_count": "2"}, follow=True)
    assert done.status_code == 200
    order = PurchaseOrder.objects.get()
    assert order.warehouse.code == "LON"
    assert sorted(order.lines.values_list("product__sku", flat=True)) == ["LAMP-1", "MUG-1"]
    assert ReorderSuggestion.objects.get(pk=many["mid"].pk).status == "pending"


def test_approve_all_matching_is_bounded(planner_client, many, monkeypatch):
    monkeypatch.setattr(page_module, "MAX_BULK_DECISION", 2)
    response = planner_client.post(reverse("ui:suggestions-decide"),
                                   {"scope": "matching", "action": "approve", "confirm_count": "3"}, follow=True)
    assert "More than 2 suggestions match" in response.content.decode()
    assert not PurchaseOrder.objects.exists()


def test_viewer_cannot_approve_all_matching(viewer_client, many):
    response = viewer_client.post(reverse("ui:suggestions-decide"),
                                  {"scope": "matching", "action": "approve", "confirm_count": "3"})
    assert response.status_code == 403 and not PurchaseOrder.objects.exists()


def test_csv_export_is_the_list_as_shown_and_formula_safe(viewer_client, many):
    response = viewer_client.get(reverse("ui:suggestions-export"), {"sort": "value"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["sku", "product", "warehouse", "supplier", "quantity"]
    assert [r[0] for r in rows[1:]] == ["LAMP-1", "EVIL-1", "MUG-1"]
    evil = next(r for r in rows if r[0] == "EVIL-1")
    assert evil[1].startswith("'=")  # a spreadsheet shows it as text, never runs it
    assert evil[7] == "60.00"
    only_man = list(csv.reader(io.StringIO(
        viewer_client.get(reverse("ui:suggestions-export"), {"warehouse": "MAN"}).content.decode())))
    assert [r[0] for r in only_man[1:]] == ["EVIL-1"]


def test_the_first_page_costs_the_same_queries_at_any_size(viewer_client, shop):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def grow(n, start):
        for i in range(start, start + n):
            product = make_product(sku=f"Q-{i}", unit_cost="1.00", supplier=shop["mug"].supplier)
            make_suggestion(product, shop["warehouse"], 5)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert viewer_client.get(reverse("ui:suggestions")).status_code == 200
        return len(ctx.captured_queries)

    grow(30, 0)
    small = count()
    grow(300, 30)
    assert count() == small
    html = viewer_client.get(reverse("ui:suggestions")).content.decode()
    assert html.count('href="/products/Q-') == page_module.PAGE_SIZE  # 330 pending, one page drawn
