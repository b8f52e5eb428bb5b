"""Saving a promotion: the row and its products and warehouses in one transaction."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction

from inventory.models import Product, Warehouse

from .models import Promotion


def plan_promotion(*, name: str, start_date: date, end_date: date, discount_pct: Decimal, kind: str, skus,
                   warehouses=None, user=None) -> Promotion:
    """A planned promotion of the products ``skus`` in ``warehouses`` (default: every active one)."""
    with transaction.atomic():
        promo = Promotion.objects.create(name=name, start_date=start_date, end_date=end_date,
                                         discount_pct=discount_pct, kind=kind, created_by=user)
        promo.products.set(Product.objects.filter(sku__in=skus))
        promo.warehouses.set(warehouses or Warehouse.objects.filter(active=True))
    return promo
