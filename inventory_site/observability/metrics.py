"""Prometheus metrics served at /metrics.

Request latency, counts and SQL queries per request are recorded by middleware in this process.
Everything that lives elsewhere (open alerts, data age, model accuracy, queue lengths, task
statistics recorded by workers) is read at scrape time by a collector, so every web process
reports the same truth and nothing goes stale between scrapes.
"""
import time

from django.db import connection
from prometheus_client import CollectorRegistry, Counter, Histogram

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


# Each app registers the figures it owns (its <app>/metrics.py, from its AppConfig.ready), so this
# module, in the lowest layer, knows no app: a function here yields GaugeMetricFamily objects.
_figures = []


def register_figures(collect) -> None:
    """Add an app's ``collect()`` (yielding metric families) to what /metrics reads at scrape time."""
    if collect not in _figures:
        _figures.append(collect)


class DomainCollector:
    """Figures read from the database and the broker at scrape time."""

    def describe(self):
        # Without this the registry would call collect() at import time, touching the database.
        return []

    def collect(self):
        for collect in _figures:
            yield from collect()
        yield from task_stats.collect_queue_lengths()
        yield from task_stats.collect_task_metrics()


REGISTRY.register(DomainCollector())
