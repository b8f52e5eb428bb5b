"""Views of the replenishment API: thin; staff decisions go through replenishment.approvals."""
from __future__ import annotations

import django_filters as df
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from inventory.purchasing.api import PurchaseOrderSerializer
from inventory.purchasing.models import PurchaseOrder, PurchaseOrderLine
from inventory_site.api.base import StandardPagination, StockcastAutoSchema, error_response
from inventory_site.api.errors import Conflict, Unprocessable
from inventory_site.api.parsers import BoundedJSONParser
from inventory_site.api.throttles import BulkRateThrottle, WriteRateThrottle
from inventory_site.roles import PlannerWriteOrReadOnly
from replenishment import approvals
from replenishment.errors import ReplenishmentError
from replenishment.models import PolicyReplay, PolicyReplayRun, ReorderSuggestion

from . import serializers


class SuggestionFilter(df.FilterSet):
    status = df.MultipleChoiceFilter(choices=ReorderSuggestion.Status.choices)
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    warehouse = df.CharFilter(field_name="warehouse__code", help_text="Warehouse code.")
    supplier = df.CharFilter(field_name="supplier__code", help_text="Supplier code.")
    order_by_before = df.DateFilter(field_name="order_by", lookup_expr="lte",
                                    help_text="Suggestions that must be ordered by this day.")

    class Meta:
        model = ReorderSuggestion
        fields = ["status", "product", "warehouse", "supplier", "method"]


NOT_PENDING = error_response("Some suggestions are no longer pending (already approved, rejected or superseded).")


def _check_pending(ids: list[int]) -> None:
    """Unknown ids -> 404-like 400 naming them; non-pending -> 409 naming them. Nothing is changed."""
    found = dict(ReorderSuggestion.objects.filter(pk__in=ids).values_list("pk", "status"))
    missing = sorted(set(ids) - set(found))
    if missing:
        raise ValidationError({"ids": [f"no suggestion with id {', '.join(map(str, missing))}."]})
    stale = sorted(pk for pk, status in found.items() if status != ReorderSuggestion.Status.PENDING)
    if stale:
        raise Conflict(
            f"Suggestion(s) {', '.join(map(str, stale))} are no longer pending; nothing was changed. "
            "Reload the list and decide on the pending ones.",
            code="invalid_transition", fields={"not_pending": stale},
        )


@extend_schema_view(
    list=extend_schema(summary="Reorder suggestions (filter status=pending for the ones to decide)",
                       tags=["replenishment"]),
    retrieve=extend_schema(summary="One suggestion with its explanation", tags=["replenishment"]),
)
class ReorderSuggestionViewSet(viewsets.ReadOnlyModelViewSet):
    parser_classes = [BoundedJSONParser]
    serializer_class = serializers.ReorderSuggestionSerializer
    filterset_class = SuggestionFilter
    pagination_class = StandardPagination
    throttle_classes = [WriteRateThrottle]
    permission_classes = [PlannerWriteOrReadOnly]
    schema = StockcastAutoSchema()
    ordering_fields = ["order_by", "created_at", "quantity", "expected_cost", "id"]
    lookup_value_regex = r"[0-9]{1,18}"  # longer: no such id (and too big for the database)

    def get_queryset(self):
        return ReorderSuggestion.objects.select_related("product", "warehouse", "supplier", "decided_by")

    def get_throttles(self):
        if self.action in ("approve", "reject"):
            return [WriteRateThrottle(), BulkRateThrottle()]
        return super().get_throttles()

    def get_serializer_class(self):
        if self.action == "approve":
            return serializers.SuggestionIdsSerializer
        if self.action == "reject":
            return serializers.RejectSerializer
        return serializers.ReorderSuggestionSerializer

    @extend_schema(
        summary="Approve pending suggestions into draft purchase orders (one per supplier x warehouse)",
        tags=["replenishment"], request=serializers.SuggestionIdsSerializer,
        responses={200: serializers.ApproveResultSerializer, 409: NOT_PENDING,
                   422: error_response("A product has no supplier to order from.")},
        examples=[OpenApiExample("Approve three", request_only=True, value={"ids": [101, 102, 107]})],
    )
    @action(detail=False, methods=["post"])
    def approve(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["ids"]
        _check_pending(ids)
        try:
            orders = approvals.approve_suggestions(ids, user=request.user)
        except ReplenishmentError as error:
            raise Unprocessable(str(error), code="cannot_approve") from None
        lines = PurchaseOrderLine.objects.select_related("product").order_by("id")
        orders = (PurchaseOrder.objects.filter(pk__in=[o.pk for o in orders]).select_related("supplier", "warehouse")
                  .prefetch_related(Prefetch("lines", queryset=lines)).order_by("id"))
        return Response({"approved": len(ids), "purchase_orders": PurchaseOrderSerializer(orders, many=True).data})

    @extend_schema(
        summary="Reject pending suggestions, with a reason", tags=["replenishment"],
        request=serializers.RejectSerializer,
        responses={200: serializers.RejectResultSerializer, 409: NOT_PENDING},
        examples=[OpenApiExample("Reject", request_only=True,
                                 value={"ids": [103], "reason": "Range is being delisted in January."})],
    )
    @action(detail=False, methods=["post"])
    def reject(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["ids"]
        _check_pending(ids)
        try:
            count = approvals.reject_suggestions(ids, data.validated_data["reason"], user=request.user)
        except ReplenishmentError as error:
            raise Unprocessable(str(error), code="cannot_reject") from None
        return Response({"rejected": count})


class PolicyReplayFilter(df.FilterSet):
    # bounded: an id beyond 64 bits reached SQLite as an integer it cannot hold (a 500)
    run = df.NumberFilter(field_name="run_id", min_value=1, max_value=2**63 - 1,
                          help_text="Replay run id (default: the latest run).")
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    warehouse = df.CharFilter(field_name="warehouse__code", help_text="Warehouse code.")

    class Meta:
        model = PolicyReplay
        fields = ["run", "product", "warehouse", "method", "selected", "demand_class"]


@extend_schema_view(
    list=extend_schema(summary="Policy replay runs (newest first): cost per method, per warehouse, and the choice",
                       tags=["replenishment"]),
    retrieve=extend_schema(summary="One policy replay run", tags=["replenishment"]),
)
class PolicyReplayRunViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = PolicyReplayRun.objects.order_by("-created_at", "-id")
    serializer_class = serializers.PolicyReplayRunSerializer
    pagination_class = StandardPagination
    schema = StockcastAutoSchema()


@extend_schema_view(
    list=extend_schema(summary="Replayed cost per product x warehouse x method (filter run=, selected=true)",
                       tags=["replenishment"]),
    retrieve=extend_schema(summary="One replayed pair and method", tags=["replenishment"]),
)
class PolicyReplayViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.PolicyReplaySerializer
    filterset_class = PolicyReplayFilter
    pagination_class = StandardPagination
    schema = StockcastAutoSchema()
    ordering_fields = ["total_cost", "fill_rate", "id"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):   # schema generation: no database read
            return PolicyReplay.objects.none()
        rows = PolicyReplay.objects.select_related("product", "warehouse").order_by("id")
        if "run" not in self.request.query_params and self.action == "list":
            latest = PolicyReplayRun.objects.order_by("-created_at", "-id").values_list("pk", flat=True).first()
            rows = rows.filter(run_id=latest)
        return rows
