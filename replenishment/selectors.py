"""Read-side queries for the UI, the API and other apps."""
from django.db.models import DecimalField, ExpressionWrapper, QuerySet

from .models import LINE_VALUE, ReorderPolicy, ReorderSuggestion


def pending_suggestions() -> QuerySet[ReorderSuggestion]:
    """Pending suggestions with ``line_value`` (quantity x unit cost) annotated for sorting and sums."""
    return (ReorderSuggestion.objects.filter(status=ReorderSuggestion.Status.PENDING)
            .select_related("product", "warehouse", "supplier", "policy")
            .annotate(line_value=ExpressionWrapper(LINE_VALUE,
                                                   output_field=DecimalField(max_digits=20, decimal_places=4)))
            .order_by("supplier__code", "warehouse__code", "order_by", "product__sku"))


def current_suggestion(product, warehouse=None) -> ReorderSuggestion | None:
    qs = ReorderSuggestion.objects.filter(product=product, status=ReorderSuggestion.Status.PENDING)
    if warehouse is not None:
        qs = qs.filter(warehouse=warehouse)
    return qs.select_related("warehouse").order_by("-created_at", "-id").first()


def policy_for(product, warehouse) -> ReorderPolicy | None:
    return ReorderPolicy.objects.filter(product=product, warehouse=warehouse, active=True).first()


def due_suggestions(day) -> QuerySet[ReorderSuggestion]:
    """Pending suggestions whose order-by date is ``day`` or earlier: to be placed today."""
    return pending_suggestions().filter(order_by__lte=day)
