"""The dashboard: the key figures of stock, service, risk, alerts and forecasts, each a link."""
from django.db.models import Count
from django.shortcuts import render
from django.views.decorators.http import require_safe

from inventory.models import Product
from inventory.purchasing.models import PurchaseOrder
from inventory.selectors import has_sales
from replenishment.inputs import default_service_level

from . import health, sources, today, trends
from .figure_cache import SALES_AND_STOCK, until_changed, until_sales_change

CATALOGUE_CACHE_NAME = "catalogue-figures"


def catalogue_figures() -> dict:
    """The figures of every pair: the sales window's service and the stock's risk and value.
    Computed once per change of the sales or the stock (figure_cache), not per request."""
    sales = until_sales_change(health.WINDOW_CACHE_NAME, health.sales_by_series)  # one pass for both
    return {"risk": health.catalogue_risk(sales), "service": health.service_figures(sales=sales),
            "stock_value": health.stock_value(),
            "uncosted": Product.objects.filter(unit_cost=0, stock_levels__on_hand__gt=0).distinct().count()}


def catalogue_figures_cached() -> dict:
    return until_changed(CATALOGUE_CACHE_NAME, catalogue_figures, SALES_AND_STOCK)


@require_safe
def dashboard(request):
    figures = catalogue_figures_cached()
    risk, service = figures["risk"], figures["service"]
    labels = dict(PurchaseOrder.Status.choices)
    context = {
        "product_count": Product.objects.filter(active=True).count(),
        "has_sales": has_sales(),
        "stock_value": figures["stock_value"],
        "uncosted": figures["uncosted"],
        "default_service_level": default_service_level(),
        "service": service,
        "at_risk_count": risk.at_risk_products,
        "at_risk_series": risk.at_risk_series,
        "overstock_value": risk.overstock_value,
        "overstock_days": health.OVERSTOCK_DAYS,
        "open_orders": PurchaseOrder.objects.filter(status__in=PurchaseOrder.OPEN_STATUSES).count(),
        "draft_orders": PurchaseOrder.objects.filter(status=PurchaseOrder.Status.DRAFT).count(),
        "orders_by_status": [
            {"status": row["status"], "label": labels.get(row["status"], row["status"]), "n": row["n"]}
            for row in PurchaseOrder.objects.values("status").annotate(n=Count("id")).order_by("status")
        ],
        "alerts": sources.open_alerts_by_severity(),
        "suggestions": sources.pending_suggestion_count(),
        "accuracy": sources.current_accuracy(),
        "runs": sources.recent_runs(5),
        "today": today.today(),
        "trends": trends.all_trends(),
    }
    return render(request, "staff/dashboard.html", context)
