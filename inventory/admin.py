"""Admin pages for the inventory domain. Stock changes go through services, never raw edits."""
from django.contrib import admin
from django.db.models import F, Sum

from inventory_site.admin_kit import PipelineWrittenAdmin

from . import services
from .models import (
    Category,
    Product,
    SalesDay,
    StockLevel,
    StockMovement,
    Supplier,
    Warehouse,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "parent")
    search_fields = ("code", "name")
    list_filter = ("parent",)
    autocomplete_fields = ("parent",)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "lead_time_mean_days", "lead_time_std_days", "min_order_qty", "currency", "active")
    search_fields = ("code", "name", "email")
    list_filter = ("active", "currency")


class StockLevelInline(admin.TabularInline):
    model = StockLevel
    fields = ("warehouse", "on_hand", "reserved", "updated_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "category", "supplier", "unit_cost", "price", "pack_size", "moq", "total_on_hand", "active")
    list_select_related = ("category", "supplier")
    search_fields = ("sku", "name", "description", "brand")
    list_filter = ("active", "category", "supplier")
    autocomplete_fields = ("category", "supplier")
    inlines = [StockLevelInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_on_hand=Sum("stock_levels__on_hand"))

    @admin.display(description="On hand (all warehouses)", ordering="_on_hand")
    def total_on_hand(self, obj):
        return obj._on_hand or 0


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "capacity_units", "units_held", "allow_backorders", "active")
    search_fields = ("code", "name")
    list_filter = ("allow_backorders", "active")

    @admin.display(description="Units held")
    def units_held(self, obj):
        return services.units_in_warehouse(obj)


@admin.register(StockLevel)
class StockLevelAdmin(admin.ModelAdmin):
    """Read-only: stock changes only through movements (the ledger) so that it always adds up."""

    list_display = ("product", "warehouse", "on_hand", "reserved", "available", "updated_at")
    list_select_related = ("product", "warehouse")
    search_fields = ("product__sku", "product__name")
    list_filter = ("warehouse",)
    readonly_fields = ("product", "warehouse", "on_hand", "reserved", "backorders_allowed", "updated_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Available", ordering=F("on_hand") - F("reserved"))
    def available(self, obj):
        return obj.available


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The ledger is append-only: listed and searchable, never edited or deleted here."""

    list_display = ("created_at", "kind", "product", "warehouse", "quantity", "balance_after", "reference", "created_by")
    list_select_related = ("product", "warehouse", "created_by")
    list_filter = ("kind", "warehouse", "created_at")
    search_fields = ("product__sku", "reference", "idempotency_key")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SalesDay)
class SalesDayAdmin(PipelineWrittenAdmin):
    list_display = ("date", "product", "warehouse", "units", "returned_units", "revenue", "avg_price", "on_promotion", "in_stock")
    list_select_related = ("product", "warehouse")
    list_filter = ("warehouse", "on_promotion", "in_stock")
    search_fields = ("product__sku", "product__name")
    date_hierarchy = "date"
    raw_id_fields = ("product",)


from . import import_admin  # noqa: F401
from .promotions import admin as promotions_admin  # noqa: F401  (registers the promotion pages)
from .purchasing import admin as purchasing_admin  # noqa: F401  (registers the order pages)
