"""The dashboard's "today" (orders due, most money at stake, what failed) and its trend charts."""
import json
import re
from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.urls import reverse
from django.utils import timezone

from forecasting.models import ForecastRun
from insights.models import Alert
from insights.selectors import open_counts_at
from inventory import services
from inventory.selectors import stock_value_by_week, weekly_in_stock
from replenishment.models import ReorderSuggestion
from tests.ui.test_suggestions import make_suggestion

pytestmark = pytest.mark.django_db


def _chart(html: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"no chart data {element_id}"
    return json.loads(found.group(1))


def test_orders_due_by_the_last_sales_day_are_listed_largest_first(viewer_client, shop, settings):
    settings.STOCKCAST_ALERT_MIN_AMOUNT = 5.0
    end = shop["end"]  # the data's last sales day is "today"
    big = make_suggestion(shop["lamp"], shop["warehouse"], 30)    # 300
    small = make_suggestion(shop["mug"], shop["warehouse"], 5)    # 10
    later = make_suggestion(shop["mug"], shop["warehouse"], 100)  # 200, but not due yet
    ReorderSuggestion.objects.filter(pk=big.pk).update(order_by=end)
    ReorderSuggestion.objects.filter(pk=small.pk).update(order_by=end - timedelta(days=3))
    ReorderSuggestion.objects.filter(pk=later.pk).update(order_by=end + timedelta(days=10))
    Alert.objects.create(kind="stockout_risk", severity="warning", product=shop["mug"], warehouse=shop["warehouse"],
                         message="m", money_at_stake=120.0)
    Alert.objects.create(kind="stockout_risk", severity="critical", product=shop["lamp"], warehouse=shop["warehouse"],
                         message="tiny", money_at_stake=0.5)
    html = viewer_client.get(reverse("home")).content.decode()
    assert "2 suggestions</a> due today or overdue (1 overdue), 310 at unit cost" in html
    today = html[html.index('id="today-orders"'):html.index('id="today-alerts"')]
    assert today.index("LAMP-1") < today.index("MUG-1")
    at_stake = html[html.index('id="today-alerts"'):html.index('id="stock"')]
    assert "120.00 at stake" in at_stake and "0.50" not in at_stake  # the trivial one stays in the digest


def test_a_failed_run_of_the_week_is_shown(viewer_client, shop):
    run = ForecastRun.objects.create(model_name="global_tide", status="failed", error="worker died twice")
    html = viewer_client.get(reverse("home")).content.decode()
    assert f"Forecast run #{run.pk}" in html and "worker died twice" in html


def test_in_stock_share_by_week_follows_the_flags(shop):
    weeks = weekly_in_stock(shop["end"] - timedelta(days=27), shop["end"])
    assert sum(w["flagged"] for w in weeks) == 56
    assert sum(w["in_stock"] for w in weeks) == 54  # the mug's last two days were out of stock
    assert weeks[-1]["share"] < 1.0


def test_stock_value_is_rebuilt_from_the_ledger(shop):
    today = timezone.localdate()
    # the fixture received 40 mugs (cost 2) and 500 lamps (cost 10) today: 5,080
    services.record_movement(product=shop["lamp"], warehouse=shop["warehouse"], kind="sale", quantity=8)
    points = stock_value_by_week(3, today)
    assert [p["week_end"] for p in points] == [today - timedelta(days=14), today - timedelta(days=7), today]
    assert points[-1]["value"] == pytest.approx(5080 - 80)
    assert points[0]["value"] == pytest.approx(0)  # before today's receipts nothing was in stock


def test_open_alerts_are_counted_at_each_moment(shop):
    t0 = datetime(2024, 1, 1, tzinfo=dt_timezone.utc)
    a = Alert.objects.create(kind="overstock", severity="warning", product=shop["lamp"], warehouse=shop["warehouse"],
                             message="x")
    Alert.objects.filter(pk=a.pk).update(opened_at=t0, status="resolved", resolved_at=t0 + timedelta(days=10))
    b = Alert.objects.create(kind="stockout_risk", severity="warning", product=shop["mug"], warehouse=shop["warehouse"],
                             message="y")
    Alert.objects.filter(pk=b.pk).update(opened_at=t0 + timedelta(days=5))
    moments = [t0 - timedelta(days=1), t0 + timedelta(days=6), t0 + timedelta(days=11)]
    assert open_counts_at(moments) == [0, 2, 1]


def test_the_dashboard_draws_the_trends(viewer_client, shop):
    ForecastRun.objects.create(model_name="global_tide", status="succeeded", finished_at=timezone.now(),
                               metrics={"wrmsse": 0.7, "seasonal_naive_wrmsse": 1.0})
    html = viewer_client.get(reverse("home")).content.decode()
    service = _chart(html, "trend-service")
    assert service["series"][0]["values"][-1] < 100
    accuracy = _chart(html, "trend-accuracy")
    assert accuracy["series"][0]["values"] == [0.7] and accuracy["series"][1]["values"] == [1.0]
    assert len(_chart(html, "trend-stock")["labels"]) == 26 and len(_chart(html, "trend-alerts")["labels"]) == 26
    assert "chart.umd.min.js" in html
