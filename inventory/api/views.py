"""Views of the inventory API: thin; reads use selectors, writes use inventory.services."""
from __future__ import annotations

from django.db.models import FloatField, Value
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from inventory import selectors, services
from inventory.models import (
    Category,
    Product,
    SalesDay,
    StockMovement,
    Supplier,
    Warehouse,
)
from inventory_site.api.base import (
    ApiViewMixin,
    CatalogueWrite,
    error_response,
)
from inventory_site.api.errors import Conflict
from inventory_site.api.filter_backend import filters_nothing

from . import compiled_query, filters, serializers
from .contributions import contributions
from .fast_json import FastJSONRenderer
from .idempotency import IDEMPOTENCY_HEADER, idempotent
from .window_pagination import WindowCountPagination, with_window_total


# --- catalogue --------------------------------------------------------------------------------


class CatalogueViewSet(ApiViewMixin, viewsets.ModelViewSet):
    permission_classes = [CatalogueWrite]
    lookup_value_regex = r"[0-9]{1,18}"  # longer: no such id (and too big for the database)


@extend_schema_view(
    list=extend_schema(summary="List categories", tags=["catalogue"]),
    retrieve=extend_schema(summary="One category", tags=["catalogue"]),
    create=extend_schema(summary="Create a category", tags=["catalogue"], examples=[
        OpenApiExample("Sub-category", value={"code": "FOODS_1", "name": "Foods 1", "parent": "FOODS"},
                       request_only=True)]),
    update=extend_schema(summary="Replace a category", tags=["catalogue"]),
    partial_update=extend_schema(summary="Change a category", tags=["catalogue"]),
    destroy=extend_schema(summary="Delete a category (admin; 409 while products use it)", tags=["catalogue"],
                          responses={204: None, 409: error_response("Still referenced by products or children.")}),
)
class CategoryViewSet(CatalogueViewSet):
    queryset = Category.objects.select_related("parent")
    serializer_class = serializers.CategorySerializer
    filterset_class = filters.CategoryFilter
    ordering_fields = ["code", "name", "id"]


@extend_schema_view(
    list=extend_schema(summary="List suppliers", tags=["catalogue"]),
    retrieve=extend_schema(summary="One supplier", tags=["catalogue"]),
    create=extend_schema(summary="Create a supplier", tags=["catalogue"], examples=[
        OpenApiExample("Supplier", request_only=True, value={
            "code": "ACME", "name": "Acme Foods", "email": "orders@acme.example", "currency": "GBP",
            "lead_time_mean_days": "6.5", "lead_time_std_days": "1.2", "min_order_qty": 24})]),
    update=extend_schema(summary="Replace a supplier", tags=["catalogue"]),
    partial_update=extend_schema(summary="Change a supplier", tags=["catalogue"]),
    destroy=extend_schema(summary="Delete a supplier (admin; 409 while in use)", tags=["catalogue"],
                          responses={204: None, 409: error_response("Still referenced by products or orders.")}),
)
class SupplierViewSet(CatalogueViewSet):
    queryset = Supplier.objects.all()
    serializer_class = serializers.SupplierSerializer
    filterset_class = filters.SupplierFilter
    ordering_fields = ["code", "name", "lead_time_mean_days", "id"]


@extend_schema_view(
    list=extend_schema(summary="List warehouses", tags=["catalogue"]),
    retrieve=extend_schema(summary="One warehouse", tags=["catalogue"]),
    create=extend_schema(summary="Create a warehouse", tags=["catalogue"], examples=[
        OpenApiExample("Warehouse", request_only=True, value={
            "code": "CA_1", "name": "California 1", "capacity_units": 250000, "allow_backorders": False})]),
    update=extend_schema(summary="Replace a warehouse", tags=["catalogue"]),
    partial_update=extend_schema(summary="Change a warehouse", tags=["catalogue"]),
)
class WarehouseViewSet(CatalogueViewSet):
    """Warehouses are deactivated (`active: false`), never deleted: the ledger refers to them."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    queryset = Warehouse.objects.all()
    serializer_class = serializers.WarehouseSerializer
    filterset_class = filters.WarehouseFilter
    ordering_fields = ["code", "name", "id"]

    def perform_update(self, serializer):
        warehouse = serializer.instance
        if serializer.validated_data.get("allow_backorders") is False and warehouse.allow_backorders:
            negative = warehouse.stock_levels.filter(on_hand__lt=0).count()
            if negative:
                raise Conflict(
                    f"Warehouse {warehouse.code} has {negative} product(s) with negative stock; receive or adjust "
                    "them to zero or more before turning backorders off.",
                    code="negative_stock", fields={"allow_backorders": False, "negative_rows": negative},
                )
        serializer.save()


@extend_schema_view(
    list=extend_schema(summary="List products", tags=["catalogue"]),
    retrieve=extend_schema(summary="One product with its stock and current forecast", tags=["catalogue"]),
    create=extend_schema(summary="Create a product", tags=["catalogue"], examples=[
        OpenApiExample("Product", request_only=True, value={
            "sku": "FOODS_1_001", "name": "Oat biscuits 200 g", "category": "FOODS_1", "supplier": "ACME",
            "unit_cost": "0.8200", "price": "1.4900", "pack_size": 12, "moq": 24})]),
    update=extend_schema(summary="Replace a product", tags=["catalogue"]),
    partial_update=extend_schema(summary="Change a product", tags=["catalogue"]),
)
class ProductViewSet(CatalogueViewSet):
    """Products are deactivated (`active: false`), never deleted: the ledger and history refer to them."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    queryset = Product.objects.select_related("category", "supplier")
    serializer_class = serializers.ProductSerializer
    filterset_class = filters.ProductFilter
    ordering_fields = ["sku", "name", "price", "unit_cost", "updated_at", "id"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ProductDetailSerializer
        return serializers.ProductSerializer


# --- stock ------------------------------------------------------------------------------------


def _build_stock_levels_queryset():
    queryset = selectors.stock_levels_with_on_order()
    if contributions.annotate_reorder_point is None:  # nobody computes reorder points: none to compare
        return queryset.annotate(reorder_point=Value(None, output_field=FloatField()))
    return contributions.annotate_reorder_point(queryset)


_stock_levels_template = None


def stock_levels_queryset():
    """Stock levels with on_order, available and reorder_point, in one query whatever the page size.

    The annotated queryset is built once per process and cloned per request: resolving its two
    correlated subqueries cost more CPU than running the query. A clone of an unevaluated
    queryset shares no rows or state with the template (every QuerySet method returns a copy).
    """
    global _stock_levels_template
    if _stock_levels_template is None:
        _stock_levels_template = _build_stock_levels_queryset()
    return _stock_levels_template.all()


@extend_schema_view(
    list=extend_schema(summary="Stock levels (on hand, reserved, available, on order)", tags=["stock"]),
    retrieve=extend_schema(summary="One stock level", tags=["stock"]),
)
class StockLevelViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only: stock changes only through movements, transfers and purchase-order receipts."""

    serializer_class = serializers.StockLevelSerializer
    filterset_class = filters.StockLevelFilter
    ordering_fields = ["on_hand", "reserved", "available_units", "on_order", "updated_at", "id"]
    ordering = ["warehouse__code", "product__sku"]
    lookup_value_regex = r"[0-9]{1,18}"  # longer: no such id (and too big for the database)
    pagination_class = WindowCountPagination  # the page and its total in one query
    renderer_classes = [FastJSONRenderer, BrowsableAPIRenderer]

    def get_queryset(self):
        return stock_levels_queryset()

    def list(self, request, *args, **kwargs):
        # The busiest read of the integrations (stock sync every few minutes, every SKU): rows come
        # from one values() query and are shaped by a plain function instead of building a model
        # instance and a ModelSerializer per row, which cost most of the request's time. The output
        # is the serializer's to the byte (a test compares them); the serializer still describes
        # the response in the OpenAPI schema and serves the detail view.
        compiled = self._compiled_page_query(request)
        if compiled is not None:
            page = self.paginate_queryset(compiled_query.CompiledRows(compiled, self._list_queryset))
            return self.get_paginated_response(serializers.stock_level_rows(page))
        queryset = self._list_queryset()
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else queryset
        data = serializers.stock_level_rows(rows)
        return self.get_paginated_response(data) if page is not None else Response(data)

    def _list_queryset(self):
        queryset = self.filter_queryset(self.get_queryset()).values(*serializers.STOCK_LEVEL_LIST_COLUMNS)
        return with_window_total(queryset)

    def _compiled_page_query(self, request):
        """An unfiltered list's SQL depends only on its ordering (a handful of allowed values): it is
        compiled once per ordering and process, and a request only looks it up, without building
        a queryset. Filtered lists, and databases other than PostgreSQL, go through the ORM."""
        if self.paginator is None or not filters_nothing(request) or not compiled_query.supported():
            return None
        ordering = tuple(OrderingFilter().get_ordering(request, self.get_queryset(), self) or ())
        compiled = _compiled_stock_pages.get(ordering)
        if compiled is None:
            if len(_compiled_stock_pages) >= MAX_COMPILED_ORDERINGS:
                return None  # combinations of orderings are unbounded: past the cap, the ORM path
            queryset = self._list_queryset()
            if tuple(str(term) for term in queryset.query.order_by) != ordering:
                return None  # the backends ordered differently than expected: do not cache a guess
            compiled = _compiled_stock_pages[ordering] = compiled_query.CompiledPageQuery(queryset)
        return compiled


# compiled statements of the unfiltered stock list, by ordering, for this process; a client can
# combine the allowed fields into endless orderings, so the cache holds at most this many
MAX_COMPILED_ORDERINGS = 32
_compiled_stock_pages: dict[tuple, compiled_query.CompiledPageQuery] = {}


MOVEMENT_EXAMPLES = [
    OpenApiExample("Sale of 3 units", request_only=True,
                   value={"product": "FOODS_1_001", "warehouse": "CA_1", "kind": "sale", "quantity": 3,
                          "reference": "order 10045"}),
    OpenApiExample("Stock count correction", request_only=True,
                   value={"product": "FOODS_1_001", "warehouse": "CA_1", "kind": "adjustment", "quantity": -2,
                          "note": "2 damaged"}),
]


@extend_schema_view(
    list=extend_schema(summary="The stock ledger (newest first)", tags=["stock"]),
    retrieve=extend_schema(summary="One ledger line", tags=["stock"]),
)
class StockMovementViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                           mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Append-only: movements are created (through the ledger service), never changed or deleted."""

    queryset = StockMovement.objects.select_related("product", "warehouse")
    serializer_class = serializers.StockMovementSerializer
    filterset_class = filters.StockMovementFilter
    ordering_fields = ["created_at", "id", "quantity"]
    lookup_value_regex = r"[0-9]{1,18}"  # longer: no such id (and too big for the database)

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.StockMovementCreateSerializer
        if self.action == "transfer":
            return serializers.StockTransferSerializer
        return serializers.StockMovementSerializer

    @extend_schema(
        summary="Record a receipt, sale, return or adjustment",
        tags=["stock"],
        parameters=[IDEMPOTENCY_HEADER],
        request=serializers.StockMovementCreateSerializer,
        responses={
            201: serializers.StockMovementSerializer,
            200: OpenApiResponse(serializers.StockMovementSerializer, description="Replay of an Idempotency-Key."),
            409: error_response("Not enough stock, warehouse capacity exceeded, or the key was used differently."),
        },
        examples=MOVEMENT_EXAMPLES,
    )
    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        with idempotent(request, "movement") as attempt:
            if attempt.replayed:
                movement = StockMovement.objects.get(pk=attempt.result["movement"])
            else:
                movement = services.record_movement(
                    product=data.validated_data["product"], warehouse=data.validated_data["warehouse"],
                    kind=data.validated_data["kind"], quantity=data.validated_data["quantity"],
                    reference=data.validated_data["reference"], note=data.validated_data["note"],
                    idempotency_key=attempt.ledger_key, user=request.user,
                )
                attempt.result = {"movement": movement.pk}
        body = serializers.StockMovementSerializer(movement).data
        if attempt.replayed:
            return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Move stock between two warehouses (both ledger lines or neither)",
        tags=["stock"],
        parameters=[IDEMPOTENCY_HEADER],
        request=serializers.StockTransferSerializer,
        responses={
            201: serializers.StockTransferResultSerializer,
            200: OpenApiResponse(serializers.StockTransferResultSerializer, description="Replay of a key."),
            409: error_response("Not enough stock at the source or no room at the destination."),
        },
        examples=[OpenApiExample("Transfer", request_only=True, value={
            "product": "FOODS_1_001", "source": "CA_1", "destination": "CA_2", "quantity": 40})],
    )
    @action(detail=False, methods=["post"])
    def transfer(self, request):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        with idempotent(request, "transfer") as attempt:
            if attempt.replayed:
                out, into = (StockMovement.objects.get(pk=attempt.result[side]) for side in ("out", "into"))
            else:
                result = services.transfer_stock(
                    product=data.validated_data["product"], source=data.validated_data["source"],
                    destination=data.validated_data["destination"], quantity=data.validated_data["quantity"],
                    reference=data.validated_data["reference"], note=data.validated_data["note"],
                    idempotency_key=attempt.ledger_key, user=request.user,
                )
                out, into = result.out, result.into
                attempt.result = {"out": out.pk, "into": into.pk}
        body = serializers.StockTransferResultSerializer({"out": out, "into": into}).data
        if attempt.replayed:
            return Response(body, status=status.HTTP_200_OK, headers={"Idempotent-Replayed": "true"})
        return Response(body, status=status.HTTP_201_CREATED)


# --- sales -------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Daily sales history (write it with POST /api/v1/sales/bulk/)", tags=["sales"]),
    retrieve=extend_schema(summary="One product x warehouse x day", tags=["sales"]),
)
class SalesDayViewSet(ApiViewMixin, viewsets.ReadOnlyModelViewSet):
    queryset = SalesDay.objects.select_related("product", "warehouse")
    serializer_class = serializers.SalesDaySerializer
    filterset_class = filters.SalesDayFilter
    ordering_fields = ["date", "units", "revenue", "id"]
    ordering = ["-date", "id"]
    lookup_value_regex = r"[0-9]{1,18}"  # longer: no such id (and too big for the database)
