"""Numbers other apps add to inventory's API answers, without inventory importing those apps.

The product detail shows the current forecast (forecasting's), the stock list a reorder point
(replenishment's). Inventory owns the answer's shape (its serializers and schema); the app that
owns the number registers how to get it, from its AppConfig.ready(). With nothing registered
the fields are empty, as for a shop that has no forecast or suggestion yet.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet


@dataclass
class Contributions:
    # () -> id of the current forecast run, or None
    current_forecast_run: Callable[[], int | None] | None = None
    # (run_id, product) -> [{"warehouse", "date", "mean", "p10", "p50", "p90"}] by warehouse and date
    forecast_rows: Callable[[int, object], list[dict]] | None = None
    # stock-level queryset -> the same, annotated with `reorder_point`
    annotate_reorder_point: Callable[[QuerySet], QuerySet] | None = None


contributions = Contributions()
