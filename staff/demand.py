"""Demand class of each product (smooth, erratic, intermittent, lumpy, no demand).

Classified with forecasting.ml.classify (Syntetos-Boylan-Croston cut-offs) over the last
CLASS_WINDOW_DAYS of recorded sales, all warehouses together. Days without a SalesDay row
inside a product's selling span count as zero demand. The whole-catalogue result is cached
until the sales data changes, so the products list can filter on it.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import numpy as np
from django.core.cache import cache

from forecasting.ml.classify import CLASSES, classify_one
from inventory.selectors import last_sales_day, sales_fingerprint, sales_tuples

CLASS_WINDOW_DAYS = 365
_CACHE_SECONDS = 600


def _compute(product_ids=None) -> dict[int, str]:
    latest = last_sales_day()
    if latest is None:
        return {}
    start = latest - timedelta(days=CLASS_WINDOW_DAYS - 1)
    # One plain scan (no GROUP BY: on SQLite that costs more than summing here); warehouses
    # are added together per day.
    rows = sales_tuples(start, latest, fields=("product_id", "date", "units"), product_ids=product_ids)
    first_seen, daily = {}, defaultdict(dict)
    for product_id, day, units in rows:
        if product_id not in first_seen or day < first_seen[product_id]:
            first_seen[product_id] = day
        if units:
            per_day = daily[product_id]
            per_day[day] = per_day.get(day, 0) + units
    classes = {}
    for product_id, first in first_seen.items():
        span = (latest - first).days + 1
        history = np.zeros(span)
        for day, units in daily.get(product_id, {}).items():
            history[(day - first).days] = units
        classes[product_id] = classify_one(history)
    return classes


def demand_classes() -> dict[int, str]:
    """Class of every product that has sales in the window (cached until sales change)."""
    key = f"stockcast:ui:demand-classes:{sales_fingerprint()}"
    classes = cache.get(key)
    if classes is None:
        classes = _compute()
        cache.set(key, classes, _CACHE_SECONDS)
    return classes


def demand_classes_for(product_ids) -> dict[int, str]:
    """Classes of a few products (one page of a list, one product page) without the cache."""
    return _compute(list(product_ids))


CLASS_CHOICES = [(c, c.replace("_", " ").capitalize()) for c in CLASSES]
