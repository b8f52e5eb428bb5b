"""Demand class of each product (smooth, erratic, intermittent, lumpy, no demand).

Classified with forecasting.ml.classify (Syntetos-Boylan-Croston cut-offs) over the last
CLASS_WINDOW_DAYS of recorded sales, all warehouses together. Days without a SalesDay row
inside a product's selling span count as zero demand. The whole-catalogue result is cached
until the sales data changes, so the products list can filter on it.
"""
from __future__ import annotations

from datetime import timedelta

from forecasting.ml.classify import CLASSES, classify_moments
from inventory.selectors import daily_total_moments, last_sales_day

from .figure_cache import if_cached, until_sales_change

CLASS_WINDOW_DAYS = 365
CACHE_NAME = "demand-classes"


def compute_classes(product_ids=None) -> dict[int, str]:
    """Classes of these products (None: every product with sales in the window), uncached."""
    latest = last_sales_day()
    if latest is None:
        return {}
    start = latest - timedelta(days=CLASS_WINDOW_DAYS - 1)
    return {product_id: classify_moments((latest - first).days + 1, nonzero, total, squares)
            for product_id, (first, nonzero, total, squares)
            in daily_total_moments(start, latest, product_ids=product_ids).items()}


def demand_classes() -> dict[int, str]:
    """Class of every product that has sales in the window (cached until sales change)."""
    return until_sales_change(CACHE_NAME, compute_classes)


def demand_classes_for(product_ids) -> dict[int, str]:
    """Classes of a few products (one page of a list, one product page): from the catalogue's
    when it is cached (warmed after every import, staff.warm), else computed for these alone."""
    catalogue = if_cached(CACHE_NAME)
    if catalogue is not None:
        return {pk: catalogue[pk] for pk in product_ids if pk in catalogue}
    return compute_classes(list(product_ids))


CLASS_CHOICES = [(c, c.replace("_", " ").capitalize()) for c in CLASSES]
