from django.contrib import admin, messages

from . import services
from .models import Alert, AlertThreshold, EmailRecipient, WebhookDelivery, WebhookEndpoint


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "severity", "status", "product", "warehouse", "occurrences", "opened_at",
                    "auto_resolved")
    list_filter = ("kind", "severity", "status", "auto_resolved", "warehouse")
    search_fields = ("message", "product__sku", "warehouse__code")
    readonly_fields = [f.name for f in Alert._meta.fields]
    date_hierarchy = "opened_at"
    actions = ["acknowledge_selected", "resolve_selected"]

    def has_add_permission(self, request):
        return False  # alerts come from the checks, not from typing

    def _bulk(self, request, queryset, fn, label):
        done = 0
        for alert in queryset:
            try:
                fn(alert.pk, request.user, "")
                done += 1
            except Exception as exc:  # noqa: BLE001 - shown to the admin user
                self.message_user(request, f"#{alert.pk}: {exc}", messages.WARNING)
        self.message_user(request, f"{label} {done} alert(s).")

    @admin.action(description="Acknowledge selected alerts")
    def acknowledge_selected(self, request, queryset):
        self._bulk(request, queryset, services.acknowledge, "Acknowledged")

    @admin.action(description="Resolve selected alerts")
    def resolve_selected(self, request, queryset):
        self._bulk(request, queryset, services.resolve, "Resolved")


@admin.register(AlertThreshold)
class AlertThresholdAdmin(admin.ModelAdmin):
    list_display = ("scope", "stockout_probability", "overstock_days_cover", "anomaly_z", "drift_margin",
                    "stale_after_days")
    list_select_related = ("warehouse", "category")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "active", "min_severity")


@admin.register(EmailRecipient)
class EmailRecipientAdmin(admin.ModelAdmin):
    list_display = ("email", "active", "min_severity")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "endpoint", "event", "attempts", "last_status", "delivered_at", "failed", "created_at")
    list_filter = ("failed", "endpoint")
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
