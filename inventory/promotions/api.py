"""REST endpoints of promotions (/api/v1/promotions/): serializer, filter and view set."""
from __future__ import annotations

import django_filters as df
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import serializers

from inventory.api.views import CatalogueViewSet
from inventory.models import Product, Warehouse

from .models import Promotion


class PromotionSerializer(serializers.ModelSerializer):
    products = serializers.SlugRelatedField(slug_field="sku", many=True, queryset=Product.objects.all(),
                                            help_text="SKUs on promotion.")
    warehouses = serializers.SlugRelatedField(slug_field="code", many=True, queryset=Warehouse.objects.all(),
                                              help_text="Warehouse codes where it runs.")

    class Meta:
        model = Promotion
        fields = ["id", "name", "products", "warehouses", "start_date", "end_date", "discount_pct", "kind", "status",
                  "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"discount_pct": {"min_value": 0, "max_value": 100}}

    def validate(self, attrs):
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError({"end_date": f"must be on or after start_date ({start})."})
        return attrs


class PromotionFilter(df.FilterSet):
    product = df.CharFilter(field_name="products__sku", help_text="Promotions that include this SKU.")
    warehouse = df.CharFilter(field_name="warehouses__code", help_text="Promotions running in this warehouse.")
    active_on = df.DateFilter(method="filter_active_on", help_text="Promotions whose date range contains this day.")

    class Meta:
        model = Promotion
        fields = ["status", "kind"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)

    def filter_queryset(self, queryset):
        # product/warehouse join across many-to-many tables: one row per promotion.
        return super().filter_queryset(queryset).distinct()


@extend_schema_view(
    list=extend_schema(summary="List promotions", tags=["sales"]),
    retrieve=extend_schema(summary="One promotion", tags=["sales"]),
    create=extend_schema(summary="Plan a promotion", tags=["sales"], examples=[
        OpenApiExample("Promotion", request_only=True, value={
            "name": "Biscuits 20% off", "products": ["FOODS_1_001"], "warehouses": ["CA_1", "CA_2"],
            "start_date": "2026-12-01", "end_date": "2026-12-14", "discount_pct": "20.00",
            "kind": "price_discount"})]),
    update=extend_schema(summary="Replace a promotion", tags=["sales"]),
    partial_update=extend_schema(summary="Change a promotion", tags=["sales"]),
    destroy=extend_schema(summary="Delete a promotion (admin)", tags=["sales"]),
)
class PromotionViewSet(CatalogueViewSet):
    queryset = Promotion.objects.prefetch_related(
        Prefetch("products", queryset=Product.objects.only("id", "sku")),
        Prefetch("warehouses", queryset=Warehouse.objects.only("id", "code")),
    )
    serializer_class = PromotionSerializer
    filterset_class = PromotionFilter
    ordering_fields = ["start_date", "end_date", "discount_pct", "id"]

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user)
