"""Promotions: the saved promotions, the what-if planner, and forecast against actual afterwards.

The numbers come from insights.promotions.planner (what_if, review); this module only turns
form input into its arguments and shows its answers and its refusals.
"""
from __future__ import annotations

import re
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from insights.errors import InsightsError
from insights.promotions import planner
from inventory.models import Product, Warehouse
from inventory.promotions.models import Promotion
from inventory.promotions.services import plan_promotion
from inventory.selectors import sales_totals

from .access import planner_required

MAX_PAIRS = 60  # product x warehouse pairs per what-if: beyond this the request would get slow


class PlanForm(forms.Form):
    name = forms.CharField(max_length=200, required=False, help_text="Needed only to save the plan.")
    skus = forms.CharField(
        label="Products (SKUs)", widget=forms.Textarea(attrs={"rows": 2}),
        help_text="SKUs separated by commas, spaces or new lines.",
    )
    warehouses = forms.ModelMultipleChoiceField(
        queryset=Warehouse.objects.filter(active=True), widget=forms.CheckboxSelectMultiple,
        required=False, help_text="None ticked: every active warehouse.",
    )
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    discount_pct = forms.DecimalField(label="Discount (%)", min_value=0, max_value=90, decimal_places=2)
    kind = forms.ChoiceField(choices=Promotion.Kind.choices, initial=Promotion.Kind.PRICE_DISCOUNT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["warehouses"].label_from_instance = lambda w: f"{w.code} · {w.name}"

    def clean_skus(self):
        skus = [s for s in re.split(r"[\s,;]+", self.cleaned_data["skus"]) if s]
        if not skus:
            raise forms.ValidationError("Name at least one product.")
        known = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
        missing = [s for s in skus if s not in known]
        if missing:
            raise forms.ValidationError(f"Unknown SKU(s): {', '.join(missing)}.")
        return list(dict.fromkeys(skus))

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", f"The end date {end} is before the start date {start}.")
        skus, whs = data.get("skus") or [], data.get("warehouses")
        pairs = len(skus) * (len(whs) if whs else Warehouse.objects.filter(active=True).count())
        if pairs > MAX_PAIRS:
            raise forms.ValidationError(
                f"{pairs} product × warehouse pairs: plan at most {MAX_PAIRS} at once (fewer SKUs or warehouses)."
            )
        return data


def promotion_planner(request):
    """GET with the form filled runs the what-if (read only, so viewers may explore); planners save."""
    initial = {"start_date": timezone.localdate() + timedelta(days=21),
               "end_date": timezone.localdate() + timedelta(days=27), "discount_pct": 20}
    if request.GET.get("sku"):
        initial["skus"] = request.GET["sku"]
    bound = "skus" in request.GET  # ?sku= alone (from a product page) only pre-fills the form
    form = PlanForm(request.GET if bound else None, initial=initial)
    result = error = None
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            result = planner.what_if(
                data["skus"], [w.code for w in data["warehouses"]], data["start_date"], data["end_date"],
                data["discount_pct"],
            )
        except InsightsError as exc:
            error = str(exc)
    return render(request, "staff/promotion_planner.html", {
        "form": form, "result": result, "error": error,
        "max_pairs": MAX_PAIRS,
    })


def _back_to_planner(request) -> str:
    params = request.POST.copy()
    params.pop("csrfmiddlewaretoken", None)
    return f"{reverse('ui:promotion-planner')}?{params.urlencode()}"


@planner_required
def promotion_save(request):
    form = PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The promotion was not saved: " + "; ".join(
            f"{field}: {' '.join(errs)}" if field != "__all__" else " ".join(errs) for field, errs in form.errors.items()
        ))
        return redirect(_back_to_planner(request))
    data = form.cleaned_data
    if not data["name"].strip():
        messages.error(request, "The promotion was not saved: give it a name.")
        return redirect(_back_to_planner(request))
    promo = plan_promotion(name=data["name"].strip(), start_date=data["start_date"], end_date=data["end_date"],
                           discount_pct=data["discount_pct"], kind=data["kind"], skus=data["skus"],
                           warehouses=data["warehouses"], user=request.user)
    messages.success(request, f"Promotion “{promo.name}” saved as planned.")
    return redirect("ui:promotion", pk=promo.pk)


def _actuals(promotion: Promotion) -> dict:
    """Units and revenue sold during the promotion and in the same number of days before it."""
    length = (promotion.end_date - promotion.start_date).days + 1
    scope = {"product_ids": promotion.products.values("id"), "warehouse_ids": promotion.warehouses.values("id")}
    during = sales_totals(promotion.start_date, promotion.end_date, **scope)
    before_start = promotion.start_date - timedelta(days=length)
    before = sales_totals(before_start, promotion.start_date - timedelta(days=1), **scope)
    return {"days": length, "units": during["units"], "revenue": during["revenue"], "units_before": before["units"],
            "revenue_before": before["revenue"]}


def promotion_list(request):
    promotions = Promotion.objects.prefetch_related("products", "warehouses")
    status = request.GET.get("status", "")
    if status in Promotion.Status.values:
        promotions = promotions.filter(status=status)
    promotions = list(promotions[:200])
    today = timezone.localdate()
    for promo in promotions:
        promo.actuals = _actuals(promo) if promo.end_date < today else None
    return render(request, "staff/promotion_list.html", {
        "promotions": promotions,
        "status": status,
        "status_choices": Promotion.Status.choices,
    })


def promotion_detail(request, pk: int):
    promo = get_object_or_404(Promotion.objects.prefetch_related("products", "warehouses"), pk=pk)
    review = review_error = None
    ended = promo.end_date < timezone.localdate()
    if ended:
        try:
            review = planner.review(promo)
        except InsightsError as exc:
            review_error = str(exc)
    return render(request, "staff/promotion_detail.html", {
        "promo": promo,
        "actuals": _actuals(promo),
        "ended": ended,
        "review": review,
        "review_error": review_error,
        "skus": " ".join(p.sku for p in promo.products.all()),
    })
