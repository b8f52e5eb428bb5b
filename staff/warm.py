"""Warm the pages' figures of the whole catalogue after an import, so that no planner's request
pays for them: the demand classes (a year of every product's daily sums), the sales window of
every pair (the dashboard's service and risk figures), the weekly in-stock share, and the
dashboard's figures of every pair's stock."""
from __future__ import annotations

import time

from . import dashboard, demand, health, trends
from .figure_cache import SALES, SALES_AND_STOCK, until_changed

FIGURES = {
    demand.CACHE_NAME: demand.compute_classes,
    health.WINDOW_CACHE_NAME: health.sales_by_series,
    trends.SERVICE_CACHE_NAME: trends.service_by_week,
}


# ... and, from that window, the dashboard's figures of every pair's stock (they are also
# recomputed when the stock changes, from the window warmed here).
STOCK_FIGURES = {dashboard.CATALOGUE_CACHE_NAME: dashboard.catalogue_figures}


def sales_figures() -> dict:
    seconds = {}
    for figures, on in ((FIGURES, SALES), (STOCK_FIGURES, SALES_AND_STOCK)):
        for name, compute in figures.items():
            started = time.perf_counter()
            until_changed(name, compute, on)
            seconds[name] = round(time.perf_counter() - started, 3)
    return seconds
