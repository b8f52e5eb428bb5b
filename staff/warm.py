"""Warm the pages' figures of the whole catalogue after an import, so that no planner's request
pays for them: the demand classes (a year of every product's daily sums), the sales window of
every pair (the dashboard's service and risk figures) and the weekly in-stock share."""
from __future__ import annotations

import time

from . import demand, health, trends
from .sales_cache import until_sales_change

FIGURES = {
    demand.CACHE_NAME: demand.compute_classes,
    health.WINDOW_CACHE_NAME: health.sales_by_series,
    trends.SERVICE_CACHE_NAME: trends.service_by_week,
}


def sales_figures() -> dict:
    seconds = {}
    for name, compute in FIGURES.items():
        started = time.perf_counter()
        until_sales_change(name, compute)
        seconds[name] = round(time.perf_counter() - started, 3)
    return seconds
