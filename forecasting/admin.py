from django.contrib import admin

from inventory_site.admin_kit import PipelineWrittenAdmin

from .models import Forecast, ForecastRun, ModelVersion


@admin.register(ForecastRun)
class ForecastRunAdmin(PipelineWrittenAdmin):
    list_display = ("id", "model_name", "status", "is_current", "horizon", "as_of", "n_series", "shards_done",
                    "n_shards", "device", "started_at", "finished_at")
    list_filter = ("status", "is_current", "model_name")
    readonly_fields = ("model_version", "metrics", "error", "options", "created_at", "started_at", "finished_at")


@admin.register(ModelVersion)
class ModelVersionAdmin(PipelineWrittenAdmin):
    list_display = ("id", "name", "arch", "data_start", "data_end", "n_series", "device", "seconds", "size_bytes",
                    "parent", "created_at")
    list_filter = ("name", "device")
    exclude = ("weights",)  # binary blob: not editable in a form
    readonly_fields = ("config", "features", "metrics", "parent")


@admin.register(Forecast)
class ForecastAdmin(PipelineWrittenAdmin):
    list_display = ("run", "product", "warehouse", "date", "mean", "p10", "p50", "p90", "demand_class")
    list_filter = ("demand_class", "run__is_current")
    list_select_related = ("product", "warehouse")
    raw_id_fields = ("run", "product", "warehouse")
    date_hierarchy = "date"
