"""The inventory figures of /metrics: how old the newest sales day of each warehouse is."""
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from .models import Warehouse
from .selectors import last_sales_day_by_warehouse


def collect():
    gauge = GaugeMetricFamily(
        "stockcast_sales_data_age_days", "Days since the newest sales day, by warehouse.", labels=["warehouse"]
    )
    today = timezone.localdate()
    codes = dict(Warehouse.objects.values_list("id", "code"))
    for warehouse_id, newest in last_sales_day_by_warehouse().items():
        gauge.add_metric([codes[warehouse_id]], (today - newest).days)
    yield gauge
