"""Forecast runs, trained model versions and the forecasts themselves.

A run's forecasts become the ones everybody reads (``is_current``) only when every shard
of the run has been written; a failed or killed run never touches the current set.
"""
from django.db import models
from django.db.models import Q

from forecasting.ml.base import QUANTILE_NAMES


# What a run may ask its model to start from (forecasting/starts.py says what each does).
START_REQUESTS = ("auto", "latest", "pretrained", "scratch")


class Start(models.TextChoices):
    """What a global model's weights started from (forecasting/starts.py decides)."""

    LATEST = "latest", "fine-tuned from the catalogue's previous version"
    PRETRAINED_FINETUNED = "pretrained_finetuned", "fine-tuned from the pretrained checkpoint"
    PRETRAINED_ZERO_SHOT = "pretrained_zero_shot", "the pretrained checkpoint, zero-shot (not trained on this catalogue)"
    SCRATCH = "scratch", "trained from scratch"


class ModelVersion(models.Model):
    """One trained global model: weights plus everything needed to reproduce or audit it."""

    name = models.CharField(max_length=100)
    arch = models.CharField(max_length=20, blank=True)
    weights = models.BinaryField(help_text="The artifact from GlobalForecaster.to_bytes(): state_dict, config, vocabularies.")
    size_bytes = models.PositiveIntegerField(default=0)
    config = models.JSONField(default=dict, blank=True)
    features = models.JSONField(default=dict, blank=True)
    data_start = models.DateField(null=True, blank=True)
    data_end = models.DateField(null=True, blank=True)
    n_series = models.PositiveIntegerField(default=0)
    metrics = models.JSONField(default=dict, blank=True)
    device = models.CharField(max_length=32, blank=True)
    seconds = models.FloatField(default=0.0, help_text="Training wall time.")
    parent = models.ForeignKey("self", null=True, blank=True, related_name="children", on_delete=models.SET_NULL,
                               help_text="The version this one was fine-tuned from (empty: trained from scratch "
                                         "or from the pretrained checkpoint, see start).")
    start = models.CharField(max_length=24, choices=Start.choices, blank=True,
                             help_text="What its weights started from (empty: stored before this was kept).")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} v{self.pk} ({self.data_end})"


class ForecastRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    model_name = models.CharField(max_length=100)
    horizon = models.PositiveIntegerField(default=28)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, related_name="runs", on_delete=models.SET_NULL)
    as_of = models.DateField(null=True, blank=True, help_text="Last day of sales history the run used.")
    n_shards = models.PositiveIntegerField(default=0)
    shards_done = models.PositiveIntegerField(default=0)
    n_series = models.PositiveIntegerField(default=0)
    options = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    device = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of its running task.")
    error = models.TextField(blank=True)
    progress = models.CharField(max_length=300, blank=True, help_text="The latest progress line (epoch, shard).")
    metrics = models.JSONField(default=dict, blank=True, help_text="Backtest on the last horizon before as_of.")
    start = models.CharField(max_length=24, choices=Start.choices, blank=True,
                             help_text="What the run's model started from (empty: a baseline, or not trained yet).")
    start_note = models.CharField(max_length=500, blank=True,
                                  help_text="Why that start: the rule that chose it, or the fallback and its cause.")
    is_current = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="one_current_forecast_run"),
        ]

    def __str__(self):
        return f"run {self.pk} {self.model_name} {self.status}"


class Forecast(models.Model):
    """Demand forecast of one product in one warehouse for one day: mean and quantiles."""

    run = models.ForeignKey(ForecastRun, related_name="forecasts", on_delete=models.CASCADE)
    product = models.ForeignKey("inventory.Product", related_name="forecasts", on_delete=models.CASCADE)
    warehouse = models.ForeignKey("inventory.Warehouse", related_name="forecasts", on_delete=models.CASCADE)
    date = models.DateField()
    mean = models.FloatField()
    demand_class = models.CharField(max_length=16, blank=True)
    shard = models.PositiveIntegerField(default=0, help_text="Which shard of the run wrote the row (retries replace it).")
    explanation = models.JSONField(null=True, blank=True,
                                   help_text="Parts of the mean: level, calendar, price, promotion (they add up).")

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["run", "product", "warehouse", "date"], name="forecast_unique_row"),
        ]
        indexes = [models.Index(fields=["product", "warehouse", "date"])]

    def __str__(self):
        return f"{self.product_id}@{self.warehouse_id} {self.date}: {self.mean:.2f}"

    def quantiles(self) -> dict:
        return {name: getattr(self, name) for name in QUANTILE_NAMES}


# p01 .. p99, one float column each (alerts read p01/p99, the UI p10/p50/p90)
for _name in QUANTILE_NAMES:
    Forecast.add_to_class(_name, models.FloatField())
