"""Promotions: the saved promotions, actual sales during completed ones, and the planner.

The what-if (forecast uplift with its uncertainty, stockout risk, what to order before) comes
from the promotion service of the promotion-planning feature; until that service exists the
planner says so instead of showing made-up numbers.
"""
from datetime import timedelta

from django.db.models import Sum
from django.shortcuts import get_object_or_404, render

from inventory.models import Promotion, SalesDay

from . import features

# Where the promotion-planning feature is expected to put its what-if service.
WHATIF_SERVICE = ("insights.promotions.services", "what_if")


def whatif_service():
    return features.function(*WHATIF_SERVICE)


def _actuals(promotion: Promotion) -> dict:
    """Units and revenue sold during the promotion and in the same number of days before it."""
    length = (promotion.end_date - promotion.start_date).days + 1
    rows = SalesDay.objects.filter(product__in=promotion.products.all(), warehouse__in=promotion.warehouses.all())
    during = rows.filter(date__range=(promotion.start_date, promotion.end_date)).aggregate(u=Sum("units"), r=Sum("revenue"))
    before_start = promotion.start_date - timedelta(days=length)
    before = rows.filter(date__range=(before_start, promotion.start_date - timedelta(days=1))).aggregate(
        u=Sum("units"), r=Sum("revenue")
    )
    return {"days": length, "units": during["u"], "revenue": during["r"], "units_before": before["u"],
            "revenue_before": before["r"]}


def promotion_list(request):
    promotions = Promotion.objects.prefetch_related("products", "warehouses")
    status = request.GET.get("status", "")
    if status in Promotion.Status.values:
        promotions = promotions.filter(status=status)
    promotions = list(promotions[:200])
    for promo in promotions:
        promo.actuals = _actuals(promo) if promo.status == Promotion.Status.COMPLETED else None
    return render(request, "inventory/ui/promotion_list.html", {
        "promotions": promotions,
        "status": status,
        "status_choices": Promotion.Status.choices,
        "whatif_available": whatif_service() is not None,
    })


def promotion_detail(request, pk: int):
    promo = get_object_or_404(Promotion.objects.prefetch_related("products", "warehouses"), pk=pk)
    return render(request, "inventory/ui/promotion_detail.html", {
        "promo": promo,
        "actuals": _actuals(promo),
        "whatif_available": whatif_service() is not None,
    })


def promotion_planner(request):
    return render(request, "inventory/ui/promotion_planner.html", {"whatif_available": whatif_service() is not None})
