"""Serializers of the inventory API. Related objects are named by their external keys (sku,
warehouse/supplier/category code), because that is what an integrating system knows; ids are
returned too. Writes that touch stock go through inventory.services, never through save().
"""
from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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

from .contributions import contributions


def active_slug(model, slug_field, **kwargs):
    return serializers.SlugRelatedField(slug_field=slug_field, queryset=model.objects.all(), **kwargs)


class CategorySerializer(serializers.ModelSerializer):
    parent = active_slug(Category, "code", allow_null=True, required=False,
                          help_text="Code of the parent category; empty for a root.")

    class Meta:
        model = Category
        fields = ["id", "code", "name", "parent"]

    def validate(self, attrs):
        parent = attrs.get("parent")
        if parent is not None and self.instance is not None:
            node = parent
            while node is not None:  # refuse cycles: a category cannot sit under itself
                if node.pk == self.instance.pk:
                    raise serializers.ValidationError({"parent": "A category cannot be its own ancestor."})
                node = node.parent
        return attrs


class SupplierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Supplier
        fields = ["id", "code", "name", "email", "currency", "lead_time_mean_days", "lead_time_std_days",
                  "min_order_qty", "active"]
        extra_kwargs = {
            "lead_time_mean_days": {"min_value": 0},
            "lead_time_std_days": {"min_value": 0},
        }


class WarehouseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["id", "code", "name", "capacity_units", "allow_backorders", "active"]


class ProductSerializer(serializers.ModelSerializer):
    category = active_slug(Category, "code", allow_null=True, required=False, help_text="Category code.")
    supplier = active_slug(Supplier, "code", allow_null=True, required=False, help_text="Supplier code.")

    class Meta:
        model = Product
        fields = ["id", "sku", "name", "description", "category", "supplier", "brand", "unit_cost", "price",
                  "pack_size", "moq", "shelf_life_days", "active", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "unit_cost": {"min_value": 0},
            "price": {"min_value": 0},
            "pack_size": {"min_value": 1},
        }


class StockLevelSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    available = serializers.IntegerField(source="available_units", read_only=True,
                                         help_text="On hand minus reserved.")
    on_order = serializers.IntegerField(read_only=True, help_text="Units outstanding on open purchase orders.")
    reorder_point = serializers.FloatField(read_only=True, allow_null=True,
                                             help_text="Target level of the latest reorder suggestion for this pair (empty: never assessed).")

    class Meta:
        model = StockLevel
        fields = ["id", "product", "sku", "product_name", "warehouse", "on_hand", "reserved", "available", "on_order",
                  "reorder_point", "backorders_allowed", "updated_at"]
        read_only_fields = fields


# The stock list's columns and row shape, for its values() fast path (StockLevelViewSet.list);
# keep in step with StockLevelSerializer (tests/inventory compares the two outputs).
STOCK_LEVEL_LIST_COLUMNS = ("id", "product_id", "product__sku", "product__name", "warehouse__code", "on_hand",
                            "reserved", "available_units", "on_order", "reorder_point", "backorders_allowed",
                            "updated_at")


def _iso_datetime(value, tz) -> str | None:
    """What DRF's DateTimeField writes (ISO 8601 in the current time zone, UTC as "Z"), without
    its per-value lookups of settings and the active time zone."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def stock_level_rows(rows) -> list[dict]:
    tz = timezone.get_current_timezone()
    return [{
        "id": row["id"], "product": row["product_id"], "sku": row["product__sku"], "product_name": row["product__name"],
        "warehouse": row["warehouse__code"], "on_hand": row["on_hand"], "reserved": row["reserved"],
        "available": row["available_units"], "on_order": row["on_order"],
        "reorder_point": None if row["reorder_point"] is None else float(row["reorder_point"]),
        "backorders_allowed": row["backorders_allowed"], "updated_at": _iso_datetime(row["updated_at"], tz),
    } for row in rows]


class StockMovementSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    purchase_order_line = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = StockMovement
        fields = ["id", "product", "warehouse", "kind", "quantity", "balance_after", "reference", "idempotency_key",
                  "purchase_order_line", "note", "created_at"]
        read_only_fields = fields


RECORDABLE_KINDS = [MovementKind.RECEIPT, MovementKind.SALE, MovementKind.RETURN, MovementKind.ADJUSTMENT]


class StockMovementCreateSerializer(serializers.Serializer):
    """A receipt, sale, return or adjustment. Transfers have their own endpoint (both sides move together)."""

    product = active_slug(Product, "sku", help_text="SKU of the product.")
    warehouse = active_slug(Warehouse, "code", help_text="Code of the warehouse.")
    kind = serializers.ChoiceField(choices=[(k.value, k.label) for k in RECORDABLE_KINDS])
    quantity = serializers.IntegerField(
        min_value=-1_000_000_000, max_value=1_000_000_000,
        help_text="Units: positive for receipt/sale/return; signed (non-zero) for an adjustment.",
    )
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class StockTransferSerializer(serializers.Serializer):
    product = active_slug(Product, "sku")
    source = active_slug(Warehouse, "code", help_text="Warehouse the stock leaves.")
    destination = active_slug(Warehouse, "code", help_text="Warehouse the stock arrives in.")
    quantity = serializers.IntegerField(min_value=1, max_value=1_000_000_000)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class StockTransferResultSerializer(serializers.Serializer):
    out = StockMovementSerializer()
    into = StockMovementSerializer()


class SalesDaySerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)

    class Meta:
        model = SalesDay
        fields = ["id", "product", "warehouse", "date", "units", "returned_units", "revenue", "avg_price",
                  "on_promotion", "in_stock"]
        read_only_fields = fields


class ProductStockSerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    on_hand = serializers.IntegerField()
    reserved = serializers.IntegerField()
    available = serializers.IntegerField()


class ProductForecastDaySerializer(serializers.Serializer):
    warehouse = serializers.CharField()
    date = serializers.DateField()
    mean = serializers.FloatField()
    p10 = serializers.FloatField()
    p50 = serializers.FloatField()
    p90 = serializers.FloatField()


class ProductDetailSerializer(ProductSerializer):
    """A product with its stock per warehouse and the current forecast (from the current run)."""

    stock = serializers.SerializerMethodField()
    forecast_run = serializers.SerializerMethodField(help_text="Id of the current forecast run, if any.")
    forecast = serializers.SerializerMethodField(help_text="Daily forecast of the current run, per warehouse.")

    class Meta(ProductSerializer.Meta):
        fields = ProductSerializer.Meta.fields + ["stock", "forecast_run", "forecast"]

    @extend_schema_field(ProductStockSerializer(many=True))
    def get_stock(self, product) -> list:
        rows = product.stock_levels.select_related("warehouse").order_by("warehouse__code")
        return [{"warehouse": r.warehouse.code, "on_hand": r.on_hand, "reserved": r.reserved,
                 "available": r.on_hand - r.reserved} for r in rows]

    def _current(self):
        if not hasattr(self, "_current_run"):
            find = contributions.current_forecast_run
            self._current_run = find() if find is not None else None
        return self._current_run

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_forecast_run(self, product):
        return self._current()

    @extend_schema_field(ProductForecastDaySerializer(many=True))
    def get_forecast(self, product) -> list:
        run_id = self._current()
        if run_id is None or contributions.forecast_rows is None:
            return []
        return contributions.forecast_rows(run_id, product)
