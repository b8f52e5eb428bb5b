"""Everything the product page shows: stock, history, forecast fan, projection, suggestion, peers."""
from __future__ import annotations

import re
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from inventory.models import Product, StockMovement, Warehouse
from inventory.promotions.selectors import of_product as promotions_of_product
from replenishment.inputs import default_service_level
from inventory.selectors import daily_units, last_sales_day, warehouses_selling
from inventory.purchasing.selectors import open_order_lines

from . import demand, health, sources

HISTORY_DAYS = 182
DEFAULT_HORIZON_DAYS = 28


def _history(product: Product, warehouse: Warehouse | None):
    latest = last_sales_day(product=product, warehouse=warehouse)
    if latest is None:
        return None, []
    start = latest - timedelta(days=HISTORY_DAYS - 1)
    daily, promo_days = daily_units(product, start, latest, warehouse=warehouse)
    days = [start + timedelta(days=i) for i in range(HISTORY_DAYS)]
    # Days without a row inside the span: nothing sold that day.
    return latest, [(d, int(daily.get(d, 0)), d in promo_days) for d in days]


def _promotion_ranges(product, history, forecast, warehouse):
    """Shaded spans on the chart: saved promotions plus runs of days flagged on promotion."""
    spans = []
    first = history[0][0] if history else None
    last = forecast["dates"][-1] if forecast and forecast.get("dates") else (history[-1][0] if history else None)
    if first is None:
        return spans
    for promo in promotions_of_product(product, first, last, warehouse):
        spans.append({"start": promo.start_date.isoformat(), "end": promo.end_date.isoformat(), "label": promo.name})
    run_start = previous = None
    for day, _units, on_promo in history:
        if on_promo and run_start is None:
            run_start = day
        if not on_promo and run_start is not None:
            spans.append({"start": run_start.isoformat(), "end": previous.isoformat(), "label": "on promotion"})
            run_start = None
        previous = day
    if run_start is not None:
        spans.append({"start": run_start.isoformat(), "end": previous.isoformat(), "label": "on promotion"})
    return spans


def _projection(product, series, forecast_by_warehouse, horizon: int):
    """Projected stock per warehouse, day by day from today: available - demand + arrivals."""
    today = timezone.localdate()
    arrivals = {}
    lines = open_order_lines().filter(product=product).select_related("order")
    for line in lines:
        offset = max(((line.order.expected_date or today) - today).days, 0)
        key = (line.order.warehouse_id, offset)
        arrivals[key] = arrivals.get(key, 0) + line.quantity_outstanding
    result = []
    for s in series:
        wh = s.level.warehouse
        daily = forecast_by_warehouse.get(wh.pk) if forecast_by_warehouse else None
        source = "the forecast's p50 (from its first day)" if daily else "the average of the last 4 weeks' sales"
        stock = s.level.available_units
        points, stockout_day = [], None
        for day in range(horizon):
            stock += arrivals.get((wh.pk, day), 0)
            stock -= daily[day] if daily and day < len(daily) else s.daily_rate
            points.append(round(stock, 1))
            if stock < 0 and stockout_day is None:
                stockout_day = today + timedelta(days=day)
        result.append(
            {"warehouse": wh.code, "points": points, "source": source, "stockout": stockout_day,
             "arrivals": sum(q for (w, _), q in arrivals.items() if w == wh.pk)}
        )
    dates = [(today + timedelta(days=i)).isoformat() for i in range(horizon)]
    return {"dates": dates, "series": result}


_WORD = re.compile(r"[a-z0-9]+")


def similar_products(product: Product, limit: int = 6) -> list[Product]:
    """Products of the same category whose names share the most words with this one."""
    if product.category_id is None:
        return []
    words = set(_WORD.findall(product.name.lower()))
    candidates = Product.objects.filter(category_id=product.category_id, active=True).exclude(pk=product.pk)[:2000]

    def score(other):
        theirs = set(_WORD.findall(other.name.lower()))
        union = words | theirs
        return len(words & theirs) / len(union) if union else 0.0

    ranked = sorted(candidates, key=lambda other: (-score(other), other.sku))
    return ranked[:limit]


def product_context(request, product: Product) -> dict:
    warehouse = None
    if request.GET.get("warehouse"):
        warehouse = Warehouse.objects.filter(code=request.GET["warehouse"]).first()
    return product_insight(product, warehouse)


def product_insight(product: Product, warehouse: Warehouse | None = None) -> dict:
    """The product page's data; the admin's product page shows the same (see templatetags)."""
    series = health.series_health(product=product)
    latest, history = _history(product, warehouse)
    forecast = sources.product_forecast(product, warehouse)
    horizon = len(forecast["dates"]) if forecast and forecast.get("dates") else DEFAULT_HORIZON_DAYS
    if forecast:
        forecast = {**forecast, "start": forecast["start"].isoformat()}
    chart = {
        "history": {"dates": [d.isoformat() for d, _, _ in history], "units": [u for _, u, _ in history]},
        "forecast": forecast,
        "promotions": _promotion_ranges(product, history, forecast, warehouse),
    }
    classes = demand.demand_classes_for([product.pk])
    # The same numbers as a table (screen readers, keyboard users): the last 4 weeks and the forecast.
    chart_rows = [{"date": d, "units": u} for d, u, _ in history[-28:]]
    if forecast:
        chart_rows += [{"date": d, "p10": lo, "p50": mid, "p90": hi}
                       for d, lo, mid, hi in zip(forecast["dates"], forecast["p10"], forecast["p50"], forecast["p90"])]
    return {
        "product": product,
        "warehouse": warehouse,
        "warehouses": Warehouse.objects.filter(
            Q(pk__in=[s.level.warehouse_id for s in series]) | Q(pk__in=warehouses_selling(product))
        ),
        "series": series,
        "latest_sale": latest,
        "has_history": any(u for _, u, _ in history),
        "chart": chart,
        "chart_rows": chart_rows,
        "projection": _projection(product, series, sources.daily_p50_by_warehouse(product), horizon),
        "suggestion": sources.current_suggestion(product),
        "explanation": sources.forecast_explanation(product, warehouse),
        "similar": similar_products(product),
        "demand_class": classes.get(product.pk),
        "default_service_level": default_service_level(),
        "open_lines": open_order_lines().filter(product=product).select_related("order", "order__warehouse"),
        "movements": StockMovement.objects.filter(product=product).select_related("warehouse")[:10],
        "promotions": product.promotions.order_by("-start_date")[:5],
    }
