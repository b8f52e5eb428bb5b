"""Alerts staff act on, the thresholds that raise them, and where they are sent.

Models only describe data and what the database enforces; every write that must stay
consistent (raise / update / resolve with de-duplication) lives in insights.services.
"""
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from inventory_site.outbound import validate_outbound_url


class AlertKind(models.TextChoices):
    STOCKOUT_RISK = "stockout_risk", "Stock-out risk"
    OVERSTOCK = "overstock", "Overstock"
    DEMAND_ANOMALY = "demand_anomaly", "Demand anomaly"
    FORECAST_DRIFT = "forecast_drift", "Forecast drift"
    STALE_DATA = "stale_data", "Stale data"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


def subject_key(kind: str, product_id, warehouse_id) -> str:
    """The de-duplication key: NULL product/warehouse spelled '-' so that uniqueness holds for them too
    (a unique constraint over nullable columns treats NULLs as distinct)."""
    return f"{kind}:{product_id if product_id is not None else '-'}:{warehouse_id if warehouse_id is not None else '-'}"


class Alert(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    ACTIVE_STATUSES = (Status.OPEN, Status.ACKNOWLEDGED)

    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    product = models.ForeignKey("inventory.Product", null=True, blank=True, related_name="alerts",
                                on_delete=models.CASCADE)
    warehouse = models.ForeignKey("inventory.Warehouse", null=True, blank=True, related_name="alerts",
                                  on_delete=models.CASCADE)
    subject_key = models.CharField(max_length=80, editable=False, help_text="kind:product:warehouse")
    message = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)
    money_at_stake = models.FloatField(null=True, blank=True, db_index=True,
                                       help_text="Expected margin lost (stock-out) or excess stock value (overstock); "
                                                 "empty where the rule has no money figure.")
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.OPEN, db_index=True)
    occurrences = models.PositiveIntegerField(default=1, help_text="Checks that found the condition while active.")
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+",
                                        on_delete=models.SET_NULL)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+",
                                    on_delete=models.SET_NULL)
    resolved_at = models.DateTimeField(null=True, blank=True)
    auto_resolved = models.BooleanField(default=False, help_text="Closed by a check because the condition cleared.")
    note = models.TextField(blank=True, help_text="Staff note on acknowledge / resolve.")

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["kind", "status"]), models.Index(fields=["warehouse", "status"])]
        constraints = [
            # One active (open or acknowledged) alert per kind x product x warehouse: checks update it.
            models.UniqueConstraint(fields=["subject_key"], condition=~Q(status="resolved"),
                                    name="alert_one_active_per_subject"),
            models.CheckConstraint(condition=Q(status="resolved") | Q(resolved_at__isnull=True),
                                   name="alert_resolved_at_only_when_resolved"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} [{self.severity}] {self.subject_key} ({self.status})"

    def save(self, *args, **kwargs):
        self.subject_key = subject_key(self.kind, self.product_id, self.warehouse_id)
        super().save(*args, **kwargs)


class AlertThreshold(models.Model):
    """Thresholds for one scope: global (no warehouse, no category), a warehouse, a category, or both.

    Empty fields inherit from the next wider scope, then from DEFAULT_THRESHOLDS. The most specific
    scope wins: warehouse+category, then category, then warehouse, then global.
    """

    warehouse = models.ForeignKey("inventory.Warehouse", null=True, blank=True, related_name="alert_thresholds",
                                  on_delete=models.CASCADE)
    category = models.ForeignKey("inventory.Category", null=True, blank=True, related_name="alert_thresholds",
                                 on_delete=models.CASCADE)
    scope = models.CharField(max_length=60, unique=True, editable=False)
    stockout_probability = models.FloatField(null=True, blank=True,
                                             validators=[MinValueValidator(0.001), MaxValueValidator(1)])
    stockout_critical_probability = models.FloatField(null=True, blank=True,
                                                      validators=[MinValueValidator(0.001), MaxValueValidator(1)])
    stockout_critical_margin = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    overstock_days_cover = models.FloatField(null=True, blank=True, validators=[MinValueValidator(1)])
    overstock_min_value = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    anomaly_z = models.FloatField(null=True, blank=True, validators=[MinValueValidator(1)])
    drift_margin = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0.01)])
    stale_after_days = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["scope"]

    def __str__(self):
        return f"Thresholds {self.scope}"

    def make_scope(self) -> str:
        parts = [f"warehouse:{self.warehouse_id}" if self.warehouse_id else "",
                 f"category:{self.category_id}" if self.category_id else ""]
        return "/".join(p for p in parts if p) or "global"

    def save(self, *args, **kwargs):
        self.scope = self.make_scope()
        super().save(*args, **kwargs)

    def validate_unique(self, exclude=None):
        super().validate_unique(exclude)
        clash = AlertThreshold.objects.filter(scope=self.make_scope()).exclude(pk=self.pk)
        if clash.exists():
            raise ValidationError({"warehouse": f"thresholds for scope {self.make_scope()} already exist"})


DEFAULT_THRESHOLDS = {
    "stockout_probability": 0.2,
    "stockout_critical_probability": 0.5,
    "stockout_critical_margin": None,
    "overstock_days_cover": 90.0,
    "overstock_min_value": Decimal("0"),
    "anomaly_z": 4.0,
    "drift_margin": 0.25,
    "stale_after_days": 2,
}


class WebhookEndpoint(models.Model):
    """Receives alert events as JSON, signed with HMAC-SHA256 of the body under ``secret``."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500, validators=[validate_outbound_url],
                          help_text="https only; the host must resolve to a public address (outbound policy).")
    secret = models.CharField(max_length=200, help_text="Shared secret for the X-Stockcast-Signature header.")
    active = models.BooleanField(default=True)
    min_severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.WARNING)
    kinds = models.JSONField(default=list, blank=True, help_text="Alert kinds to send; empty: all.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.url})"

    def wants(self, alert: "Alert") -> bool:
        return self.active and SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[self.min_severity] and (
            not self.kinds or alert.kind in self.kinds)


class EmailRecipient(models.Model):
    email = models.EmailField(unique=True)
    active = models.BooleanField(default=True)
    min_severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.CRITICAL)
    kinds = models.JSONField(default=list, blank=True, help_text="Alert kinds to send; empty: all.")

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email

    wants = WebhookEndpoint.wants


class WebhookDelivery(models.Model):
    """One event to one endpoint: attempts, outcome. Written by the delivery task."""

    endpoint = models.ForeignKey(WebhookEndpoint, related_name="deliveries", on_delete=models.CASCADE)
    alert = models.ForeignKey(Alert, null=True, blank=True, related_name="deliveries", on_delete=models.SET_NULL)
    event = models.CharField(max_length=30)
    payload = models.JSONField()
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.IntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed = models.BooleanField(default=False, help_text="Gave up after the last retry.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self):
        return f"{self.event} -> {self.endpoint.name}: {'ok' if self.delivered_at else 'pending/failed'}"
