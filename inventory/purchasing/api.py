"""REST endpoints of purchase orders (/api/v1/purchase-orders/): the serializers, the filter and
the view set. Status changes and receipts go through inventory.purchasing.services."""
from __future__ import annotations

import django_filters as df
from django.db import transaction
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from inventory.api.filters import BoundedIsoDateTimeFilter
from inventory.api.idempotency import IDEMPOTENCY_HEADER, idempotent
from inventory.api.serializers import active_slug
from inventory.models import Product, Supplier, Warehouse
from inventory_site.api.base import ApiViewMixin, error_response
from inventory_site.api.errors import Conflict

from . import services
from .models import PurchaseOrder, PurchaseOrderLine

# --- serializers ------------------------------------------------------------------------------


class PurchaseOrderLineSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    quantity_outstanding = serializers.IntegerField(read_only=True)

    class Meta:
        model = PurchaseOrderLine
        fields = ["id", "product", "quantity_ordered", "quantity_received", "quantity_outstanding", "unit_cost"]
        read_only_fields = fields


class PurchaseOrderSerializer(serializers.ModelSerializer):
    supplier = serializers.CharField(source="supplier.code", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    lines = PurchaseOrderLineSerializer(many=True, read_only=True)
    total_cost = serializers.SerializerMethodField()

    class Meta:
        model = PurchaseOrder
        fields = ["id", "number", "supplier", "warehouse", "status", "expected_date", "currency", "notes", "lines",
                  "total_cost", "created_at", "approved_at", "sent_at", "received_at", "cancelled_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.DecimalField(max_digits=16, decimal_places=4))
    def get_total_cost(self, order) -> str:
        # Sums the prefetched lines (order.total_cost would too, but we keep the format explicit).
        total = sum((line.quantity_ordered * line.unit_cost for line in order.lines.all()), 0)
        return f"{total:.4f}"


class PurchaseOrderLineInputSerializer(serializers.Serializer):
    product = active_slug(Product, "sku")
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000_000)
    unit_cost = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0, required=False,
                                         allow_null=True, help_text="Defaults to the product's unit cost.")


class PurchaseOrderCreateSerializer(serializers.Serializer):
    supplier = active_slug(Supplier, "code")
    warehouse = active_slug(Warehouse, "code")
    expected_date = serializers.DateField(required=False, allow_null=True,
                                          help_text="Defaults to today + the supplier's mean lead time.")
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    lines = PurchaseOrderLineInputSerializer(many=True, allow_empty=False, max_length=5000)

    def validate_lines(self, lines):
        seen = {}
        for index, line in enumerate(lines):
            sku = line["product"].sku
            if sku in seen:
                raise serializers.ValidationError(
                    f"line {index + 1}: {sku} already appears on line {seen[sku] + 1}; merge the quantities."
                )
            seen[sku] = index
        return lines

    def create(self, validated):
        return services.create_purchase_order(
            supplier=validated["supplier"], warehouse=validated["warehouse"], user=self.context["request"].user,
            expected_date=validated.get("expected_date"), notes=validated.get("notes", ""),
            lines=[services.OrderLineRequest(line["product"], line["quantity"], line.get("unit_cost"))
                   for line in validated["lines"]],
        )


class PurchaseOrderUpdateSerializer(serializers.ModelSerializer):
    """Only the paperwork of an order can be edited; its status moves through the actions."""

    class Meta:
        model = PurchaseOrder
        fields = ["expected_date", "notes"]

    @transaction.atomic
    def update(self, instance, validated):
        return super().update(instance, validated)


class ReceiveLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="Id of the order line.")
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000_000)


class ReceiveSerializer(serializers.Serializer):
    lines = ReceiveLineSerializer(
        many=True, required=False, allow_empty=False,
        help_text="Quantities per line; omit to receive everything still outstanding.",
    )


# --- filter -----------------------------------------------------------------------------------


class PurchaseOrderFilter(df.FilterSet):
    supplier = df.CharFilter(field_name="supplier__code", help_text="Supplier code.")
    warehouse = df.CharFilter(field_name="warehouse__code", help_text="Warehouse code.")
    status = df.MultipleChoiceFilter(choices=PurchaseOrder.Status.choices)
    product = df.CharFilter(method="filter_product", help_text="Orders with a line for this SKU.")
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = PurchaseOrder
        fields = ["supplier", "warehouse", "status", "number"]

    def filter_product(self, queryset, name, value):
        return queryset.filter(lines__product__sku=value).distinct()


# --- views ------------------------------------------------------------------------------------

ORDER_EDITABLE = {PurchaseOrder.Status.DRAFT, PurchaseOrder.Status.APPROVED, PurchaseOrder.Status.SENT}
STATE_CONFLICT = error_response("The order is not in a state that allows this action (e.g. receiving a cancelled "
                                "order, approving a sent one).")


@extend_schema_view(
    list=extend_schema(summary="List purchase orders", tags=["purchase orders"]),
    retrieve=extend_schema(summary="One purchase order with its lines", tags=["purchase orders"]),
    update=extend_schema(summary="Change the expected date or notes", tags=["purchase orders"],
                         request=PurchaseOrderUpdateSerializer,
                         responses={200: PurchaseOrderSerializer, 409: STATE_CONFLICT}),
    partial_update=extend_schema(summary="Change the expected date or notes", tags=["purchase orders"],
                                 request=PurchaseOrderUpdateSerializer,
                                 responses={200: PurchaseOrderSerializer, 409: STATE_CONFLICT}),
)
class PurchaseOrderViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = PurchaseOrderSerializer
    filterset_class = PurchaseOrderFilter
    ordering_fields = ["created_at", "expected_date", "number", "id"]
    lookup_value_regex = r"[0-9]{1,18}"  # longer: no such id (and too big for the database)

    def get_queryset(self):
        lines = PurchaseOrderLine.objects.select_related("product").order_by("id")
        return PurchaseOrder.objects.select_related("supplier", "warehouse").prefetch_related(
            Prefetch("lines", queryset=lines)
        )

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return PurchaseOrderUpdateSerializer
        if self.action == "create":
            return PurchaseOrderCreateSerializer
        if self.action == "receive":
            return ReceiveSerializer
        return PurchaseOrderSerializer

    def _detail(self, order, code=status.HTTP_200_OK):
        order = self.get_queryset().get(pk=order.pk)
        return Response(PurchaseOrderSerializer(order).data, status=code)

    @extend_schema(
        summary="Create a draft purchase order", tags=["purchase orders"],
        request=PurchaseOrderCreateSerializer, responses={201: PurchaseOrderSerializer},
        examples=[OpenApiExample("Order", request_only=True, value={
            "supplier": "ACME", "warehouse": "CA_1", "expected_date": "2026-12-10", "notes": "weekly",
            "lines": [{"product": "FOODS_1_001", "quantity": 48}, {"product": "FOODS_1_002", "quantity": 24,
                                                                     "unit_cost": "1.1000"}]})],
    )
    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._detail(data.save(), status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        order = self.get_object()
        if order.status not in ORDER_EDITABLE:
            raise Conflict(
                f"Purchase order {order.number} is {order.get_status_display().lower()}; its paperwork can no "
                "longer be changed.", code="invalid_transition", fields={"status": order.status},
            )
        data = self.get_serializer(order, data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        data.save()
        return self._detail(order)

    def _transition(self, request, service):
        order = self.get_object()
        return self._detail(service(order, user=request.user))

    @extend_schema(summary="Approve a draft order", tags=["purchase orders"], request=None,
                   responses={200: PurchaseOrderSerializer, 409: STATE_CONFLICT})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._transition(request, services.approve_purchase_order)

    @extend_schema(summary="Mark an approved order as sent to the supplier", tags=["purchase orders"], request=None,
                   responses={200: PurchaseOrderSerializer, 409: STATE_CONFLICT})
    @action(detail=True, methods=["post"])
    def send(self, request, pk=None):
        return self._transition(request, services.send_purchase_order)

    @extend_schema(summary="Cancel an order that has received nothing", tags=["purchase orders"], request=None,
                   responses={200: PurchaseOrderSerializer, 409: STATE_CONFLICT})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._transition(request, services.cancel_purchase_order)

    @extend_schema(
        summary="Book goods received (all outstanding, or given quantities per line)", tags=["purchase orders"],
        parameters=[IDEMPOTENCY_HEADER],
        request=ReceiveSerializer,
        responses={200: PurchaseOrderSerializer,
                   409: error_response("Order not receivable (draft/cancelled/received) or more than outstanding.")},
        examples=[OpenApiExample("Part delivery", request_only=True, value={"lines": [{"line": 17, "quantity": 12}]}),
                  OpenApiExample("Everything outstanding", request_only=True, value={})],
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        order = self.get_object()
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        requested = data.validated_data.get("lines")
        quantities = None
        if requested is not None:
            quantities = {}
            for index, item in enumerate(requested):
                if item["line"] in quantities:
                    raise ValidationError({"lines": [f"line {item['line']} appears twice (item {index + 1})."]})
                quantities[item["line"]] = item["quantity"]
        with idempotent(request, f"receive:{order.pk}") as attempt:
            if attempt.key is None:
                services.receive_purchase_order(order, quantities, user=request.user)
            elif not attempt.replayed:
                movements = services.receive_purchase_order(order, quantities, user=request.user,
                                                            idempotency_key=attempt.ledger_key)
                attempt.result = {"movements": [m.pk for m in movements]}
        return self._detail(order)
