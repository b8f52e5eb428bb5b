"""The figures behind the dashboard, checked against hand-computed values of the `shop` fixture."""
from decimal import Decimal

import pytest

from staff import health

pytestmark = pytest.mark.django_db


def test_service_figures_estimate_lost_units_on_stockout_days(shop):
    figures = health.service_figures()
    assert figures.window.end == shop["end"] and figures.window.days == 28
    # mug: 26 days x 10 sold, 2 stockout days -> 20 lost; lamp: 28 sold, none lost.
    assert figures.units_sold == 260 + 28
    assert figures.lost_units == pytest.approx(20.0)
    assert figures.stockout_days == 2 and figures.series_with_stockouts == 1
    assert figures.fill_rate == pytest.approx(288 / 308)


def test_risk_and_overstock_per_series(shop):
    rows = {r.level.product.sku: r for r in health.series_health()}
    mug, lamp = rows["MUG-1"], rows["LAMP-1"]
    assert mug.daily_rate == pytest.approx(260 / 28)
    assert mug.at_risk and not lamp.at_risk  # 40 / 9.3 = 4.3 days < 7-day lead time
    assert lamp.overstock_units == 500 - 90  # 90 days at 1/day
    assert lamp.overstock_value == Decimal("4100")
    assert mug.overstock_units == 0


def test_open_orders_count_in_the_position(shop):
    from inventory.purchasing.services import OrderLineRequest, approve_purchase_order, create_purchase_order

    order = create_purchase_order(supplier=shop["supplier"], warehouse=shop["warehouse"],
                                  lines=[OrderLineRequest(shop["mug"], 100)])
    assert next(r for r in health.series_health() if r.level.product.sku == "MUG-1").at_risk  # drafts do not count
    approve_purchase_order(order)
    mug = next(r for r in health.series_health() if r.level.product.sku == "MUG-1")
    assert mug.position == 140 and not mug.at_risk


def test_no_sales_gives_no_fill_rate(db):
    assert health.service_figures().fill_rate is None
    assert health.stock_value() == 0


def test_no_in_stock_flags_means_no_fill_rate(shop):
    from inventory.models import SalesDay

    SalesDay.objects.update(in_stock=None)
    figures = health.service_figures()
    assert figures.units_sold == 288 and figures.days_flagged == 0
    assert figures.fill_rate is None  # not 100 %: stockouts cannot be seen without flags


def test_fill_rate_counts_only_flagged_days(shop):
    from inventory.models import SalesDay

    SalesDay.objects.filter(product=shop["lamp"]).update(in_stock=None)
    figures = health.service_figures()
    assert figures.fill_rate == pytest.approx(260 / 280)  # the mug alone: 260 sold, 20 lost
    assert figures.flag_share == pytest.approx(0.5)


def test_catalogue_risk_on_arrays_equals_the_figures_per_series(shop):
    # The dashboard's array form of the two rules against the pages' per-series form, on the
    # shop and on a larger catalogue with open orders, reservations and suppliers without lead times.
    from tests.ui.test_page_queries import catalogue

    catalogue(12)
    rows = health.series_health()
    risk = health.catalogue_risk(health.sales_by_series())
    assert risk.at_risk_series == sum(r.at_risk for r in rows) > 0
    assert risk.at_risk_products == len({r.level.product_id for r in rows if r.at_risk})
    assert risk.overstock_value == sum((r.overstock_value for r in rows), start=Decimal("0")) > 0
