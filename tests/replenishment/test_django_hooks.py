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


def test_a_forecast_run_calibrates_interval_sums_and_the_suggestion_uses_it(eager_tasks):
    """The run's holdout stores the interval-sum calibration; the suggestion draws its demand from
    it (and the replay chained after the run has stored its rows)."""
    from replenishment.models import PolicyReplayRun

    supplier = Supplier.objects.create(code="S2", name="S2", lead_time_mean_days=7)
    warehouse = Warehouse.objects.create(code="CW", name="w")
    products = [Product.objects.create(sku=f"CAL-{i}", name="x", supplier=supplier, unit_cost=2, price=5)
                for i in range(40)]
    SalesDay.objects.bulk_create(
        SalesDay(product=p, warehouse=warehouse, date=date(2024, 1, 1) + timedelta(days=d), units=(3 + i % 5 + d * i) % 9)
        for i, p in enumerate(products) for d in range(120))
    for p in products:
        services.receive(p, warehouse, 2)
    run_forecast.delay(model="seasonal_naive", horizon=28, shards=1).get()
    from forecasting.models import ForecastRun
    calibration = ForecastRun.objects.get(is_current=True).metrics["decision_calibration"]
    assert set(calibration["intervals"]) == {"7", "14", "21", "28"} and len(calibration["levels"]) == 99
    assert calibration["cases"]["14"]["*"] == 40
    s = ReorderSuggestion.objects.filter(status="pending", demand_source="forecast").first()
    assert s is not None and "calibrated on its run's holdout" in s.explanation
    assert PolicyReplayRun.objects.exists()
