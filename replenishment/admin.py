from django.contrib import admin, messages

from .approvals import approve_suggestions, reject_suggestions
from .errors import ReplenishmentError
from inventory_site.admin_kit import PipelineWrittenAdmin

from .models import PolicyReplay, PolicyReplayRun, ReorderPolicy, ReorderSuggestion


@admin.register(ReorderPolicy)
class ReorderPolicyAdmin(admin.ModelAdmin):
    list_display = ("product", "warehouse", "method", "method_source", "service_level", "shortage_cost",
                    "holding_cost", "review_period_days", "active")
    list_filter = ("method", "method_source", "active", "warehouse")
    search_fields = ("product__sku", "product__name")
    autocomplete_fields = ("product", "warehouse")
    readonly_fields = ("method_source",)

    def save_model(self, request, obj, form, change):
        # A method staff pick is theirs: the nightly replay no longer changes it.
        if "method" in form.changed_data or not change:
            obj.method_source = ReorderPolicy.MethodSource.STAFF
        super().save_model(request, obj, form, change)


@admin.register(ReorderSuggestion)
class ReorderSuggestionAdmin(admin.ModelAdmin):
    list_display = ("product", "warehouse", "supplier", "quantity", "order_by", "method", "demand_source",
                    "expected_service_level", "status", "created_at")
    list_filter = ("status", "method", "demand_source", "warehouse", "supplier")
    search_fields = ("product__sku", "product__name", "reject_reason")
    readonly_fields = [f.name for f in ReorderSuggestion._meta.fields if f.name not in ("reject_reason",)]
    actions = ["approve_selected", "reject_selected"]

    @admin.action(description="Approve into draft purchase orders (one per supplier and warehouse)")
    def approve_selected(self, request, queryset):
        try:
            orders = approve_suggestions(list(queryset.values_list("pk", flat=True)), request.user)
        except ReplenishmentError as e:
            self.message_user(request, str(e), messages.ERROR)
            return
        self.message_user(request, f"Created {len(orders)} draft purchase order(s): "
                          + ", ".join(o.number for o in orders), messages.SUCCESS)

    @admin.action(description="Reject (reason: 'Rejected in admin')")
    def reject_selected(self, request, queryset):
        try:
            n = reject_suggestions(list(queryset.values_list("pk", flat=True)),
                                            f"Rejected in admin by {request.user}", request.user)
        except ReplenishmentError as e:
            self.message_user(request, str(e), messages.ERROR)
            return
        self.message_user(request, f"Rejected {n} suggestion(s).", messages.SUCCESS)


@admin.register(PolicyReplayRun)
class PolicyReplayRunAdmin(PipelineWrittenAdmin):
    list_display = ("id", "as_of", "freq", "periods", "pairs", "applied", "created_at")


@admin.register(PolicyReplay)
class PolicyReplayAdmin(PipelineWrittenAdmin):
    list_display = ("run", "product", "warehouse", "method", "demand_class", "total_cost", "fill_rate", "selected")
    list_filter = ("method", "selected", "demand_class")
    search_fields = ("product__sku",)
