"""Admin page of promotions."""
from django.contrib import admin

from .models import Promotion


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "status", "start_date", "end_date", "discount_pct")
    list_filter = ("status", "kind")
    search_fields = ("name", "products__sku")
    filter_horizontal = ("products", "warehouses")
    date_hierarchy = "start_date"
