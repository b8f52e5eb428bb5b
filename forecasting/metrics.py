"""The forecasting figures of /metrics: the current run's headline backtest metrics."""
from prometheus_client.core import GaugeMetricFamily

from .models import ForecastRun


def collect():
    gauge = GaugeMetricFamily(
        "stockcast_forecast_accuracy", "Backtest metrics of the current forecast run.", labels=["metric"]
    )
    run = ForecastRun.objects.filter(is_current=True).order_by("-pk").first()
    for name, value in ((run.metrics if run else None) or {}).items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            gauge.add_metric([name], float(value))
    yield gauge
