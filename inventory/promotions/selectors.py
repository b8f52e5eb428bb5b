"""Which promotions count, where and when. The one rule: a cancelled promotion never counts
(it neither explains a spike nor lifts a forecast); windows include both ends."""
from __future__ import annotations

from datetime import date, timedelta

from django.db.models import QuerySet

from .models import Promotion


def counting(start: date, end: date) -> QuerySet[Promotion]:
    """The promotions that count (not cancelled) whose dates overlap ``start..end``."""
    return Promotion.objects.exclude(status=Promotion.Status.CANCELLED).filter(start_date__lte=end, end_date__gte=start)


def planned(start: date, end: date) -> QuerySet[Promotion]:
    """``counting`` with their products and warehouses."""
    return counting(start, end).prefetch_related("products", "warehouses")


def promotion_dates(product_ids, warehouse_ids, start: date, end: date) -> dict:
    """(product_id, warehouse_id) -> set of dates covered by a non-cancelled promotion."""
    out: dict = {}
    for promo in planned(start, end):
        days = [promo.start_date + timedelta(i) for i in range((promo.end_date - promo.start_date).days + 1)]
        for p in promo.products.all():
            if p.pk not in product_ids:
                continue
            for w in promo.warehouses.all():
                if w.pk in warehouse_ids:
                    out.setdefault((p.pk, w.pk), set()).update(days)
    return out


def deepest_discounts(pairs, start: date, end: date) -> dict[tuple[int, int], float]:
    """(product_id, warehouse_id) -> the deepest discount (a fraction) of a promotion in the window."""
    found: dict[tuple[int, int], float] = {}
    for promo in planned(start, end):
        for p in promo.products.all():
            for w in promo.warehouses.all():
                if (p.pk, w.pk) in pairs:
                    found[(p.pk, w.pk)] = max(found.get((p.pk, w.pk), 0.0), float(promo.discount_pct) / 100)
    return found


def promoted_products(product_ids, warehouse, start: date, end: date) -> set[int]:
    """Which of ``product_ids`` are on a promotion in ``warehouse`` during the window."""
    return set(counting(start, end).filter(warehouses=warehouse, products__in=product_ids)
               .values_list("products", flat=True)) & set(product_ids)


def of_product(product, start: date, end: date, warehouse=None) -> QuerySet[Promotion]:
    """Promotions not cancelled of one product (in one warehouse when given) overlapping the window."""
    found = counting(start, end).filter(products=product)
    if warehouse is not None:
        found = found.filter(warehouses=warehouse)
    return found.distinct()
