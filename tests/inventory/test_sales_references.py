"""SalesDay's references have no database foreign keys (the import's join guarantees them, see
inventory.models.SalesDay): deleting a product or a warehouse must still delete its sales."""
from datetime import date

import pytest

from inventory.models import SalesDay
from tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


def test_deleting_a_product_or_a_warehouse_deletes_its_sales():
    keep, gone = make_product(), make_product()
    north, south = make_warehouse(), make_warehouse()
    for product in (keep, gone):
        for warehouse in (north, south):
            SalesDay.objects.create(product=product, warehouse=warehouse, date=date(2024, 1, 1), units=1)
    gone.delete()
    assert set(SalesDay.objects.values_list("product_id", "warehouse_id")) == {(keep.pk, north.pk), (keep.pk, south.pk)}
    south.delete()
    assert list(SalesDay.objects.values_list("product_id", "warehouse_id")) == [(keep.pk, north.pk)]
