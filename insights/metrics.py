"""The insights figures of /metrics: open alerts by severity."""
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from .models import Alert


def collect():
    gauge = GaugeMetricFamily("stockcast_open_alerts", "Open alerts by severity.", labels=["severity"])
    rows = Alert.objects.exclude(status="resolved").values("severity").annotate(n=Count("id"))
    for row in rows:
        gauge.add_metric([str(row["severity"])], row["n"])
    yield gauge
