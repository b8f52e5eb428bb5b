"""Admin pages for the inventory domain. Stock changes go through services, never raw edits."""
from django.contrib import admin, messages
from django.db.models import Count, F, Sum

from inventory_site.admin_kit import PipelineWrittenAdmin

from . import services
from .errors import StockError
from .models import (
    Category,
    Product,
    Promotion,
    PurchaseOrder,
    PurchaseOrderLine,
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


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "status", "start_date", "end_date", "discount_pct")
    list_filter = ("status", "kind")
    search_fields = ("name", "products__sku")
    filter_horizontal = ("products", "warehouses")
    date_hierarchy = "start_date"


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    fields = ("product", "quantity_ordered", "quantity_received", "unit_cost")
    readonly_fields = ("quantity_received",)
    autocomplete_fields = ("product",)
    extra = 0

    def has_change_permission(self, request, obj=None):
        # Lines of an order that has left draft are part of a commitment to the supplier.
        return obj is None or obj.status == PurchaseOrder.Status.DRAFT

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = ("number", "supplier", "warehouse", "status", "expected_date", "line_count", "created_at")
    list_select_related = ("supplier", "warehouse")
    list_filter = ("status", "supplier", "warehouse")
    search_fields = ("number", "lines__product__sku")
    readonly_fields = ("number", "status", "created_by", "created_at", "approved_by", "approved_at", "sent_at", "received_at", "cancelled_at")
    inlines = [PurchaseOrderLineInline]
    actions = ["approve_orders", "send_orders", "receive_orders", "cancel_orders"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_lines=Count("lines"))

    @admin.display(description="Lines", ordering="_lines")
    def line_count(self, obj):
        return obj._lines

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            obj.number = obj.number or ""
        super().save_model(request, obj, form, change)
        if not obj.number:
            obj.number = f"PO{obj.pk:07d}"
            obj.save(update_fields=["number"])

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if obj else [f for f in fields if f != "number"]

    def _run(self, request, queryset, action, verb):
        done = 0
        for order in queryset:
            try:
                action(order, user=request.user)
                done += 1
            except StockError as exc:
                self.message_user(request, exc.message, level=messages.ERROR)
        if done:
            self.message_user(request, f"{done} purchase order(s) {verb}.", level=messages.SUCCESS)

    @admin.action(description="Approve selected draft orders", permissions=["change"])
    def approve_orders(self, request, queryset):
        self._run(request, queryset, services.approve_purchase_order, "approved")

    @admin.action(description="Mark selected orders as sent", permissions=["change"])
    def send_orders(self, request, queryset):
        self._run(request, queryset, services.send_purchase_order, "sent")

    @admin.action(description="Receive everything outstanding on selected orders", permissions=["change"])
    def receive_orders(self, request, queryset):
        self._run(request, queryset, lambda order, user: services.receive_purchase_order(order, user=user), "received")

    @admin.action(description="Cancel selected orders", permissions=["change"])
    def cancel_orders(self, request, queryset):
        self._run(request, queryset, services.cancel_purchase_order, "cancelled")
from . import import_admin  # noqa: F401
