"""The dashboard's whole-catalogue figures are cached, and a change of stock, cost, order or
sales shows on the next request: the stock revision moves after each committed change."""
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from inventory import services
from inventory.models import SalesDay
from inventory.revisions import STOCK
from staff import dashboard
from staff.figure_cache import SALES_AND_STOCK, if_cached
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db


def _stock_value(client) -> str:
    html = client.get(reverse("home")).content.decode()
    return html.split('data-figure="stock_value">', 1)[1].split("<", 1)[0]


def test_the_figures_are_cached_until_the_stock_changes(viewer_client, django_assert_max_num_queries):
    product = make_product(unit_cost=Decimal("2.00"), supplier=make_supplier())
    warehouse = make_warehouse()
    services.receive(product, warehouse, 10)
    SalesDay.objects.create(product=product, warehouse=warehouse, date=date(2024, 3, 1), units=2)
    assert _stock_value(viewer_client) == "20"
    assert if_cached(dashboard.CATALOGUE_CACHE_NAME, SALES_AND_STOCK) is not None
    with django_assert_max_num_queries(1):  # cached: only the sales fingerprint is read
        dashboard.catalogue_figures_cached()
    services.receive(product, warehouse, 5)             # a movement
    assert _stock_value(viewer_client) == "30"
    product.unit_cost = Decimal("3.00")                 # a cost (the product's save)
    product.save()
    assert _stock_value(viewer_client) == "45"


@pytest.mark.django_db(transaction=True)
def test_the_revision_moves_with_the_change_and_again_when_it_commits():
    product, warehouse = make_product(), make_warehouse()
    start = STOCK.current()
    with transaction.atomic():
        services.receive(product, warehouse, 3)
        services.receive(product, warehouse, 2)
        during = STOCK.current()
        assert during > start  # the writer's own reads see fresh figures
    after = STOCK.current()
    assert after == during + 1  # moved at the commit, once for the whole transaction
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            STOCK.note_changed()
            raise RuntimeError("rolled back")
    assert STOCK.current() == after + 1  # only the immediate move: nothing committed


def test_the_suggestion_totals_follow_bulk_decisions(viewer_client):
    from replenishment import approvals
    from tests.ui.test_suggestions import make_suggestion

    def shown() -> str:
        html = viewer_client.get(reverse("ui:suggestions")).content.decode()
        return html.split('data-figure="suggestion_count">', 1)[1].split("<", 1)[0]

    supplier = make_supplier()
    warehouse = make_warehouse()
    made = [make_suggestion(make_product(supplier=supplier), warehouse, 4) for _ in range(3)]
    assert shown() == "3"
    approvals.approve_suggestions([made[0].pk])            # a bulk update: no signal of its own
    assert shown() == "2"
    approvals.reject_suggestions([made[1].pk], "not this week")
    assert shown() == "1"


def test_the_alert_figures_follow_a_check_that_writes_in_bulk(viewer_client):
    from insights import services as alert_services
    from insights.rules.base import Assessment

    def shown() -> str:
        html = viewer_client.get(reverse("home")).content.decode()
        return html.split('data-figure="open_alerts">', 1)[1].split("<", 1)[0]

    products, warehouse = [make_product() for _ in range(3)], make_warehouse()
    assert shown() == "0"
    alert_services.apply_assessments([Assessment("stockout_risk", p.pk, warehouse.pk, True, "warning", "low")
                                      for p in products])
    assert shown() == "3"
    alert_services.apply_assessments([Assessment("stockout_risk", products[0].pk, warehouse.pk, False)])
    assert shown() == "2"
