"""Admin pages of purchase orders: lines editable while draft; lifecycle actions through the services."""
from django.contrib import admin, messages
from django.db.models import Count

from inventory.errors import StockError

from . import services
from .models import PurchaseOrder, PurchaseOrderLine


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
