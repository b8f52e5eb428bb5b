"""Staff pages of the inventory app. Every view requires login (see LoginRequiredByDefaultMiddleware)."""
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Sum
from django.shortcuts import render

from .models import Product, PurchaseOrder, SalesDay, StockLevel, Warehouse


def home(request):
    """The landing page: what is in the system and where to go next."""
    stock_value = StockLevel.objects.filter(on_hand__gt=0).aggregate(
        value=Sum(ExpressionWrapper(F("on_hand") * F("product__unit_cost"), output_field=DecimalField()))
    )["value"]
    context = {
        "product_count": Product.objects.filter(active=True).count(),
        "warehouse_count": Warehouse.objects.count(),
        "sales_days": SalesDay.objects.count(),
        "latest_sale": SalesDay.objects.order_by("-date").values_list("date", flat=True).first(),
        "stock_value": stock_value or 0,
        "open_orders": PurchaseOrder.objects.filter(status__in=PurchaseOrder.OPEN_STATUSES).count(),
        "orders_by_status": PurchaseOrder.objects.values("status").annotate(n=Count("id")).order_by("status"),
    }
    return render(request, "inventory/home.html", context)
