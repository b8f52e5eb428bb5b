"""The dashboard's whole-catalogue figures are cached, and a change of stock, cost, order or
sales shows on the next request: the stock revision moves after each committed change."""
from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse

from inventory import services
from inventory.models import SalesDay
from inventory.revisions import note_stock_changed, stock_revision
from staff import dashboard
from staff.figure_cache import if_cached
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db


def _stock_value(client) -> str:
    html = client.get(reverse("home")).content.decode()
    return html.split('data-figure="stock_value">', 1)[1].split("<", 1)[0]


def test_the_figures_are_cached_until_the_stock_changes(viewer_client, django_assert_max_num_queries,
                                                       django_capture_on_commit_callbacks):
    product = make_product(unit_cost=Decimal("2.00"), supplier=make_supplier())
    warehouse = make_warehouse()
    services.receive(product, warehouse, 10)
    SalesDay.objects.create(product=product, warehouse=warehouse, date=date(2024, 3, 1), units=2)
    assert _stock_value(viewer_client) == "20"
    assert if_cached(dashboard.CATALOGUE_CACHE_NAME, stock=True) is not None
    with django_assert_max_num_queries(1):  # cached: only the sales fingerprint is read
        dashboard.catalogue_figures_cached()
    # The test's own transaction never commits: run what each change leaves for its commit.
    with django_capture_on_commit_callbacks(execute=True):
        services.receive(product, warehouse, 5)         # a movement
    assert _stock_value(viewer_client) == "30"
    with django_capture_on_commit_callbacks(execute=True):
        product.unit_cost = Decimal("3.00")             # a cost (the product's save)
        product.save()
    assert _stock_value(viewer_client) == "45"
    services.receive(product, warehouse, 5)             # not committed (yet): the cached figure stays
    assert _stock_value(viewer_client) == "45"


@pytest.mark.django_db(transaction=True)
def test_the_revision_moves_only_when_the_change_commits():
    before = stock_revision()
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            services.receive(make_product(), make_warehouse(), 3)
            assert stock_revision() == before  # not yet: a reader now still sees the old rows
            raise RuntimeError("rolled back")
    assert stock_revision() == before
    with transaction.atomic():
        note_stock_changed()
        assert stock_revision() == before
    assert stock_revision() == before + 1
