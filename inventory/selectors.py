"""Read-side queries shared by views, the API and the other apps."""
from datetime import date

import numpy as np
from django.db.models import F, IntegerField, Max, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import PurchaseOrder, PurchaseOrderLine, SalesDay, StockLevel


def open_order_lines() -> QuerySet[PurchaseOrderLine]:
    """Lines whose outstanding quantity is on its way (approved, sent or partly received orders)."""
    return PurchaseOrderLine.objects.filter(
        order__status__in=PurchaseOrder.OPEN_STATUSES, quantity_received__lt=F("quantity_ordered")
    )


def on_order_quantity(product, warehouse) -> int:
    total = open_order_lines().filter(product=product, order__warehouse=warehouse).aggregate(
        total=Sum(F("quantity_ordered") - F("quantity_received"))
    )["total"]
    return int(total or 0)


def stock_levels_with_on_order() -> QuerySet[StockLevel]:
    """Stock levels annotated with `on_order` (units on open purchase orders) in one query."""
    outstanding = (
        open_order_lines()
        .filter(product=OuterRef("product"), order__warehouse=OuterRef("warehouse"))
        .values("product")
        .annotate(total=Sum(F("quantity_ordered") - F("quantity_received")))
        .values("total")
    )
    return StockLevel.objects.select_related("product", "warehouse").annotate(
        on_order=Coalesce(Subquery(outstanding, output_field=IntegerField()), Value(0)),
        available_units=F("on_hand") - F("reserved"),
    )


def last_sales_day() -> date | None:
    """The newest day with sales: "today" for decisions on a historical data set."""
    return SalesDay.objects.aggregate(d=Max("date"))["d"]


def demand_history(pairs, start: date, end: date) -> dict[tuple[int, int], np.ndarray]:
    """Daily units sold per (product id, warehouse id) from ``start`` to ``end`` inclusive:
    the one reading of sales history that decisions use (suggestions, the policy replay).

    The stock-out rule: a day recorded out of stock (``SalesDay.in_stock`` False) is NaN,
    because its sales were capped by an empty shelf and say nothing about demand. A day
    without a row inside a pair's span is a day without sales (0). Before a pair's first
    record there is no evidence the pair existed, so the array starts there; a pair with no
    record in the window is left out.
    """
    days = (end - start).days + 1
    wanted = {(int(p), int(w)) for p, w in pairs}
    if days <= 0 or not wanted:
        return {}
    out: dict[tuple[int, int], np.ndarray] = {}
    first: dict[tuple[int, int], int] = {}
    rows = SalesDay.objects.filter(product_id__in={k[0] for k in wanted}, warehouse_id__in={k[1] for k in wanted},
                                   date__gte=start, date__lte=end).values_list(
        "product_id", "warehouse_id", "date", "units", "in_stock")
    for pid, wid, day, units, in_stock in rows.iterator(chunk_size=20000):
        key = (pid, wid)
        if key not in wanted:
            continue
        series = out.get(key)
        if series is None:
            series = out[key] = np.zeros(days)
        i = (day - start).days
        series[i] = np.nan if in_stock is False else max(units, 0)
        first[key] = min(first.get(key, i), i)
    return {k: v[first[k]:] for k, v in out.items()}
