"""Read-side queries shared by views, the API and the other apps."""
from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from .models import PurchaseOrder, PurchaseOrderLine, StockLevel


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
