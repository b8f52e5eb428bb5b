"""Promotion planner: the what-if from insights.promotions, planner-only saving, review after the end."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.models import Promotion, SalesDay

pytest.importorskip("insights.promotions.planner")
pytestmark = pytest.mark.django_db


@pytest.fixture
def recent_sales(shop):
    """56 days of mug sales up to yesterday, so the planner's history source has a baseline."""
    today = timezone.localdate()
    SalesDay.objects.bulk_create(
        SalesDay(product=shop["mug"], warehouse=shop["warehouse"], date=today - timedelta(days=d), units=6 + d % 4,
                 in_stock=True, revenue=Decimal("30"))
        for d in range(1, 57)
    )
    return shop


def _plan(shop, **over):
    today = timezone.localdate()
    params = {"skus": "MUG-1", "warehouses": shop["warehouse"].pk, "start_date": today + timedelta(days=20),
              "end_date": today + timedelta(days=26), "discount_pct": "25", "kind": "price_discount"}
    params.update(over)
    return params


def test_whatif_shows_uplift_interval_stock_and_order(viewer_client, recent_sales):
    page = viewer_client.get(reverse("ui:promotion-planner"), _plan(recent_sales)).content.decode()
    assert 'id="whatif-result"' in page, page[:3000]
    assert "MUG-1" in page and "Units with the promotion" in page
    assert "Stock during the promotion" in page and ("units by" in page or "nothing to order" in page)
    # Viewers may estimate but get no save form.
    assert 'id="save-form"' not in page


def test_whatif_refusal_names_the_problem(viewer_client, recent_sales):
    past = timezone.localdate() - timedelta(days=3)
    page = viewer_client.get(reverse("ui:promotion-planner"), _plan(recent_sales, start_date=past, end_date=past))
    assert "The estimate was refused" in page.content.decode() and "start_date" in page.content.decode()
    unknown = viewer_client.get(reverse("ui:promotion-planner"), _plan(recent_sales, skus="MUG-1 NOPE-9")).content.decode()
    assert "Unknown SKU(s): NOPE-9" in unknown


def test_planner_saves_the_plan_as_a_promotion(planner_client, recent_sales):
    page = planner_client.get(reverse("ui:promotion-planner"), _plan(recent_sales)).content.decode()
    assert 'id="save-form"' in page
    response = planner_client.post(reverse("ui:promotion-save"), {**_plan(recent_sales), "name": "Summer mugs"})
    promo = Promotion.objects.get(name="Summer mugs")
    assert response.status_code == 302 and response["Location"] == reverse("ui:promotion", args=[promo.pk])
    assert list(promo.products.values_list("sku", flat=True)) == ["MUG-1"]
    assert promo.discount_pct == Decimal("25") and promo.status == "planned"


def test_viewer_cannot_save(viewer_client, recent_sales):
    response = viewer_client.post(reverse("ui:promotion-save"), {**_plan(recent_sales), "name": "Nope"})
    assert response.status_code == 403 and not Promotion.objects.exists()


def test_ended_promotion_shows_forecast_against_actual(viewer_client, shop):
    promo = Promotion.objects.create(name="March mugs", start_date=shop["end"] - timedelta(days=3),
                                     end_date=shop["end"] - timedelta(days=2), discount_pct=Decimal("10"),
                                     status="completed")
    promo.products.add(shop["mug"])
    promo.warehouses.add(shop["warehouse"])
    page = viewer_client.get(reverse("ui:promotion", args=[promo.pk])).content.decode()
    assert 'id="review-table"' in page and "WAPE" in page
    listing = viewer_client.get(reverse("ui:promotions")).content.decode()
    assert "March mugs" in listing and ">20<" in listing  # 2 days x 10 mugs sold
