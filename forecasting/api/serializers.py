"""Serializers of the forecasting API."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from forecasting.ml.base import QUANTILE_NAMES
from forecasting.models import Forecast, ForecastRun, ModelVersion, Start
from forecasting.services import MODEL_CHOICES


def start_field():
    """What a model started from; empty for a baseline run, one not trained yet, or a version
    stored before this was kept (so the schema allows the empty string too)."""
    return serializers.ChoiceField(choices=Start.choices, allow_blank=True, read_only=True,
                                   help_text="What the model's weights started from (forecasting/starts.py).")

QUANTILES_FIELD = serializers.DictField(
    child=serializers.FloatField(), help_text=f"Quantiles of daily demand: {', '.join(QUANTILE_NAMES)}."
)


class ModelVersionSerializer(serializers.ModelSerializer):
    start = start_field()

    class Meta:
        model = ModelVersion
        fields = ["id", "name", "arch", "size_bytes", "data_start", "data_end", "n_series", "metrics", "device",
                  "seconds", "parent", "start", "created_at"]
        read_only_fields = fields


class ModelVersionDetailSerializer(ModelVersionSerializer):
    class Meta(ModelVersionSerializer.Meta):
        fields = ModelVersionSerializer.Meta.fields + ["config", "features"]
        read_only_fields = fields


class ForecastRunSerializer(serializers.ModelSerializer):
    start = start_field()

    class Meta:
        model = ForecastRun
        fields = ["id", "status", "model_name", "horizon", "model_version", "as_of", "n_shards", "shards_done",
                  "n_series", "options", "created_at", "started_at", "finished_at", "device", "error", "metrics",
                  "start", "start_note", "is_current"]
        read_only_fields = fields


class ForecastRunCreateSerializer(serializers.Serializer):
    model = serializers.ChoiceField(choices=MODEL_CHOICES, default="global_tide",
                                    help_text="A global neural model (trained on the GPU queue) or a baseline.")
    horizon = serializers.IntegerField(min_value=1, max_value=365, default=28, help_text="Days ahead.")
    shards = serializers.IntegerField(min_value=1, max_value=64, default=4,
                                      help_text="Prediction tasks the series are split into (one per worker).")
    options = serializers.DictField(required=False, default=dict,
                                    help_text="Run options: start (auto, latest, pretrained or scratch: what the "
                                              "model starts from), use_text, explain, reason, and train (training "
                                              "settings, advanced).")


class ForecastRunStartedSerializer(serializers.Serializer):
    run_id = serializers.IntegerField()
    task_id = serializers.CharField(help_text="Celery id of the run's last task.")
    status = serializers.CharField()
    status_url = serializers.CharField(help_text="Poll this until status is succeeded or failed.")


class ForecastSerializer(serializers.ModelSerializer):
    product = serializers.CharField(source="product.sku", read_only=True)
    warehouse = serializers.CharField(source="warehouse.code", read_only=True)
    quantiles = serializers.SerializerMethodField()

    class Meta:
        model = Forecast
        fields = ["id", "run", "product", "warehouse", "date", "mean", "quantiles", "demand_class", "explanation"]
        read_only_fields = fields

    @extend_schema_field(QUANTILES_FIELD)
    def get_quantiles(self, row) -> dict:
        return {name: getattr(row, name) for name in QUANTILE_NAMES}


class LiveForecastDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    mean = serializers.FloatField()
    quantiles = QUANTILES_FIELD


class LiveForecastSerializer(serializers.Serializer):
    product = serializers.CharField()
    warehouse = serializers.CharField()
    model_version = serializers.IntegerField(allow_null=True)
    model_name = serializers.CharField()
    as_of = serializers.DateField(help_text="Last day of sales history used (today's sales included if pushed).")
    horizon = serializers.IntegerField()
    computed_ms = serializers.FloatField(help_text="Server time spent computing.")
    days = LiveForecastDaySerializer(many=True)
