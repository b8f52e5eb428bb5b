"""A promotion as the shop plans it (table `inventory_promotion`): products, warehouses, dates,
discount, kind, status. Products and warehouses are named by app label."""
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q


class Promotion(models.Model):
    class Kind(models.TextChoices):
        PRICE_DISCOUNT = "price_discount", "Price discount"
        MULTIBUY = "multibuy", "Multi-buy"
        DISPLAY = "display", "In-store display"
        FEATURE = "feature", "Feature / advertising"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=200)
    products = models.ManyToManyField("inventory.Product", related_name="promotions")
    warehouses = models.ManyToManyField("inventory.Warehouse", related_name="promotions")
    start_date = models.DateField()
    end_date = models.DateField()
    discount_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PRICE_DISCOUNT)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="promotion_end_after_start"),
            models.CheckConstraint(
                condition=Q(discount_pct__gte=0) & Q(discount_pct__lte=100), name="promotion_discount_range"
            ),
        ]

    def __str__(self):
        return self.name
