"""Calendar events reach the panel: global ones on every series, a store's only on its own."""
from datetime import date, timedelta

import pytest

from forecasting.services import build_panel, uid
from inventory.import_models import CalendarEvent
from inventory.models import Product, SalesDay, Warehouse

pytestmark = pytest.mark.django_db


def test_events_are_placed_on_the_right_series_and_days():
    product = Product.objects.create(sku="EV-1", name="x", price=2)
    a, b = Warehouse.objects.create(code="EVA", name="a"), Warehouse.objects.create(code="EVB", name="b")
    start = date(2024, 1, 1)
    for warehouse in (a, b):
        SalesDay.objects.bulk_create(
            SalesDay(product=product, warehouse=warehouse, date=start + timedelta(days=i), units=3) for i in range(40)
        )
    CalendarEvent.objects.create(date=start + timedelta(days=10), name="Festival", event_type="Cultural")
    CalendarEvent.objects.create(date=start + timedelta(days=20), name="Store day", event_type="Cultural", warehouse=a)
    CalendarEvent.objects.create(date=start + timedelta(days=30), name="SNAP", event_type="SNAP", warehouse=b)
    panel = build_panel([(product.pk, a.pk), (product.pk, b.pk)], start + timedelta(days=39), 7)
    row = {key: i for i, key in enumerate(panel.ids)}
    col = {d.date(): j for j, d in enumerate(panel.dates)}
    ra, rb = row[uid(product.pk, a.pk)], row[uid(product.pk, b.pk)]
    day10, day20, day30 = (col[start + timedelta(days=n)] for n in (10, 20, 30))
    assert panel.event[ra, day10] == panel.event[rb, day10] == 1.0
    assert panel.event[ra, day20] == 1.0 and panel.event[rb, day20] == 0.0
    assert panel.snap[rb, day30] == 1.0 and panel.snap[ra, day30] == 0.0
