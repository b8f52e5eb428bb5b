"""Prometheus metrics served at /metrics.

Request latency, counts and SQL queries per request are recorded by middleware in this process.
Everything that lives elsewhere (open alerts, data age, model accuracy, queue lengths, task
statistics recorded by workers) is read at scrape time by a collector, so every web process
reports the same truth and nothing goes stale between scrapes.
"""
import time

from django.db import connection
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from . import task_stats

REGISTRY = CollectorRegistry(auto_describe=True)

REQUEST_LATENCY = Histogram(
    "stockcast_http_request_seconds", "Time to answer a request, by view and method.",
    ["view", "method"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REQUESTS = Counter(
    "stockcast_http_requests_total", "Requests answered, by view, method and status class.",
    ["view", "method", "status"], registry=REGISTRY,
)
DB_QUERIES = Histogram(
    "stockcast_db_queries_per_request", "SQL queries run while answering one request, by view.",
    ["view"], registry=REGISTRY, buckets=(0, 1, 2, 5, 10, 20, 50, 100, 250),
)


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        queries = 0

        def count_query(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        with connection.execute_wrapper(count_query):
            response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match and match.view_name else "unresolved"
        REQUEST_LATENCY.labels(view, request.method).observe(time.perf_counter() - started)
        REQUESTS.labels(view, request.method, f"{response.status_code // 100}xx").inc()
        DB_QUERIES.labels(view).observe(queries)
        return response


class DomainCollector:
    """Figures read from the database and the broker at scrape time."""

    def describe(self):
        # Without this the registry would call collect() at import time, touching the database.
        return []

    def collect(self):
        yield from _sales_data_age()
        yield from _open_alerts()
        yield from _model_accuracy()
        yield from task_stats.collect_queue_lengths()
        yield from task_stats.collect_task_metrics()


def _sales_data_age():
    from django.db.models import Max
    from django.utils import timezone

    from inventory.models import SalesDay

    gauge = GaugeMetricFamily(
        "stockcast_sales_data_age_days", "Days since the newest sales day, by warehouse.", labels=["warehouse"]
    )
    today = timezone.localdate()
    for row in SalesDay.objects.values("warehouse__code").annotate(newest=Max("date")):
        gauge.add_metric([row["warehouse__code"]], (today - row["newest"]).days)
    yield gauge


def _open_alerts():
    from django.apps import apps

    gauge = GaugeMetricFamily("stockcast_open_alerts", "Open alerts by severity.", labels=["severity"])
    if apps.is_installed("insights"):
        from django.db.models import Count

        Alert = apps.get_model("insights", "Alert")
        rows = Alert.objects.exclude(status="resolved").values("severity").annotate(n=Count("id"))
        for row in rows:
            gauge.add_metric([str(row["severity"])], row["n"])
    yield gauge


def _model_accuracy():
    """The current forecast run's headline metrics (whatever numeric ones it stored)."""
    from django.apps import apps

    gauge = GaugeMetricFamily(
        "stockcast_forecast_accuracy", "Backtest metrics of the current forecast run.", labels=["metric"]
    )
    try:
        ForecastRun = apps.get_model("forecasting", "ForecastRun")
    except LookupError:
        yield gauge
        return
    field_names = {f.name for f in ForecastRun._meta.get_fields()}
    query = ForecastRun.objects.all()
    if "is_current" in field_names:
        query = query.filter(is_current=True)
    run = query.order_by("-pk").first()
    metrics = getattr(run, "metrics", None) or {}
    for name, value in metrics.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            gauge.add_metric([name], float(value))
    yield gauge


REGISTRY.register(DomainCollector())
