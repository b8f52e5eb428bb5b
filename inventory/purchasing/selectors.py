"""Reads of purchase orders: what is on its way."""
from django.db.models import F, QuerySet, Sum

from .models import PurchaseOrder, PurchaseOrderLine


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
