"""Purchase orders and their lines (tables of the inventory app: `inventory_purchaseorder`,
`inventory_purchaseorderline`). Products, suppliers and warehouses are named by app label so
that this module imports nothing of the catalogue's."""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        SENT = "sent", "Sent to supplier"
        PARTIALLY_RECEIVED = "partially_received", "Partially received"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    # Statuses whose outstanding quantities count as stock on order.
    OPEN_STATUSES = (Status.APPROVED, Status.SENT, Status.PARTIALLY_RECEIVED)

    number = models.CharField(max_length=32, unique=True)
    supplier = models.ForeignKey("inventory.Supplier", related_name="purchase_orders", on_delete=models.PROTECT)
    warehouse = models.ForeignKey("inventory.Warehouse", related_name="purchase_orders", on_delete=models.PROTECT)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    expected_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.number

    @property
    def total_cost(self) -> Decimal:
        return sum((line.quantity_ordered * line.unit_cost for line in self.lines.all()), Decimal("0"))


class PurchaseOrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, related_name="lines", on_delete=models.CASCADE)
    product = models.ForeignKey("inventory.Product", related_name="purchase_order_lines", on_delete=models.PROTECT)
    quantity_ordered = models.PositiveIntegerField()
    quantity_received = models.PositiveIntegerField(default=0)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("0"))

    class Meta:
        ordering = ["order_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="purchaseorderline_unique_product"),
            models.CheckConstraint(condition=Q(quantity_ordered__gt=0), name="purchaseorderline_ordered_positive"),
            models.CheckConstraint(
                condition=Q(quantity_received__lte=F("quantity_ordered")), name="purchaseorderline_no_over_receipt"
            ),
        ]

    def __str__(self):
        return f"{self.order.number}: {self.quantity_ordered} x {self.product.sku}"

    @property
    def quantity_outstanding(self) -> int:
        return self.quantity_ordered - self.quantity_received
