"""A successful forecast run recomputes the reorder suggestions from its forecasts."""
from datetime import date, timedelta

import pytest

from forecasting.tasks import run_forecast
from inventory import services
from inventory.models import Product, SalesDay, Supplier, Warehouse
from replenishment.models import ReorderSuggestion

pytestmark = pytest.mark.django_db(transaction=True)


def test_forecast_run_triggers_replenishment(eager_tasks):
    supplier = Supplier.objects.create(code="S", name="S", lead_time_mean_days=7)
    product = Product.objects.create(sku="RH-1", name="x", supplier=supplier, unit_cost=2, price=5)
    warehouse = Warehouse.objects.create(code="RHW", name="w")
    SalesDay.objects.bulk_create(
        SalesDay(product=product, warehouse=warehouse, date=date(2024, 1, 1) + timedelta(days=i), units=5 + i % 3)
        for i in range(90)
    )
    services.receive(product, warehouse, 3)  # a stocked pair: 3 on hand
    assert not ReorderSuggestion.objects.exists()
    run_forecast.delay(model="seasonal_naive", horizon=14, shards=1).get()
    suggestion = ReorderSuggestion.objects.get(product=product, warehouse=warehouse)
    assert suggestion.quantity > 0  # 3 on hand against ~6 a day over a week's lead time
