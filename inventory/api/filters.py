"""django-filter sets of the inventory API. Products and warehouses are filtered by their external
keys (sku, code), as the responses name them; ids work too where a client has them."""
from datetime import timedelta

import django_filters as df
from django import forms
from django.db.models import F, Q

from inventory.models import (
    Category,
    MovementKind,
    Product,
    SalesDay,
    StockLevel,
    StockMovement,
    Supplier,
    Warehouse,
)


class BoundedIsoDateTimeField(df.fields.IsoDateTimeField):
    """An ISO 8601 date-time whose UTC offset is a real one (PostgreSQL refuses beyond +-15:59)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        offset = parsed.utcoffset() if parsed is not None else None
        if offset is not None and abs(offset) > timedelta(hours=14):
            raise forms.ValidationError("The UTC offset must be between -14:00 and +14:00.", code="invalid")
        return parsed


class BoundedIsoDateTimeFilter(df.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class CategoryFilter(df.FilterSet):
    parent = df.CharFilter(field_name="parent__code", help_text="Code of the parent category.")
    root = df.BooleanFilter(field_name="parent", lookup_expr="isnull", help_text="true: top-level categories only.")
    search = df.CharFilter(method="filter_search", help_text="Substring of the code or name.")

    class Meta:
        model = Category
        fields = ["parent", "root"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class SupplierFilter(df.FilterSet):
    search = df.CharFilter(method="filter_search", help_text="Substring of the code or name.")

    class Meta:
        model = Supplier
        fields = ["active", "currency"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value))


class WarehouseFilter(df.FilterSet):
    class Meta:
        model = Warehouse
        fields = ["active", "allow_backorders"]


class ProductFilter(df.FilterSet):
    category = df.CharFilter(field_name="category__code", help_text="Category code.")
    supplier = df.CharFilter(field_name="supplier__code", help_text="Supplier code.")
    sku = df.CharFilter(field_name="sku", lookup_expr="iexact")
    search = df.CharFilter(method="filter_search", help_text="Substring of the SKU, name or brand.")

    class Meta:
        model = Product
        fields = ["category", "supplier", "sku", "brand", "active"]

    def filter_search(self, queryset, name, value):
        return queryset.filter(Q(sku__icontains=value) | Q(name__icontains=value) | Q(brand__icontains=value))


class StockLevelFilter(df.FilterSet):
    warehouse = df.CharFilter(field_name="warehouse__code", help_text="Warehouse code.")
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    below_reorder_point = df.BooleanFilter(
        method="filter_below_reorder_point",
        help_text="true: only rows whose available + on-order stock is at or below their reorder point (the target "
                  "level of the pair's latest reorder suggestion; pairs never assessed are left out); false: the others.",
    )
    out_of_stock = df.BooleanFilter(method="filter_out_of_stock", help_text="true: on hand <= 0.")

    class Meta:
        model = StockLevel
        fields = ["warehouse", "product"]

    def filter_below_reorder_point(self, queryset, name, value):
        below = Q(reorder_point__isnull=False) & Q(
            reorder_point__gte=F("available_units") + F("on_order")
        )
        return queryset.filter(below) if value else queryset.exclude(below)

    def filter_out_of_stock(self, queryset, name, value):
        return queryset.filter(on_hand__lte=0) if value else queryset.filter(on_hand__gt=0)


class StockMovementFilter(df.FilterSet):
    warehouse = df.CharFilter(field_name="warehouse__code", help_text="Warehouse code.")
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    kind = df.ChoiceFilter(choices=MovementKind.choices)
    created_after = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = BoundedIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    reference = df.CharFilter()

    class Meta:
        model = StockMovement
        fields = ["warehouse", "product", "kind", "reference"]


class SalesDayFilter(df.FilterSet):
    warehouse = df.CharFilter(field_name="warehouse__code", help_text="Warehouse code.")
    product = df.CharFilter(field_name="product__sku", help_text="Product SKU.")
    date_from = df.DateFilter(field_name="date", lookup_expr="gte", help_text="First day (inclusive).")
    date_to = df.DateFilter(field_name="date", lookup_expr="lte", help_text="Last day (inclusive).")

    class Meta:
        model = SalesDay
        fields = ["warehouse", "product", "on_promotion"]
