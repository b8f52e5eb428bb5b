"""The inventory figures of /metrics: how old the newest sales day of each warehouse is."""
from django.db.models import Max
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from .models import SalesDay


def collect():
    gauge = GaugeMetricFamily(
        "stockcast_sales_data_age_days", "Days since the newest sales day, by warehouse.", labels=["warehouse"]
    )
    today = timezone.localdate()
    for row in SalesDay.objects.values("warehouse__code").annotate(newest=Max("date")):
        gauge.add_metric([row["warehouse__code"]], (today - row["newest"]).days)
    yield gauge
