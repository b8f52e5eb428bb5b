"""Models of the sales import: ImportJob (one run of the pipeline) and CalendarEvent.

ImportJob records who imported what, how far it got and what it found; the files themselves are
kept under MEDIA_ROOT/imports/ so that a Celery worker on another machine can read them. Its
`summary` holds the counts (rows read, products created, days written, rows skipped by reason)
and `report` the refused rows (first 1,000 with line, column, value and reason, plus the total).
Neither holds any customer data: the pipeline never reads a customer column.

CalendarEvent holds the calendar features that come with sales data (M5's events such as
SuperBowl or Easter, and SNAP days per store); forecasting reads them as covariates.
A null warehouse means the event applies everywhere.

SalesLoad remembers the content of each committed import (a digest of its files and of the
options that shape what is written) and the sales-write counter right after it (PostgreSQL: a
sequence that a statement trigger on SalesDay advances on every write). The same files imported
again while the counter has not moved would change nothing, so they are not read again.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q


class ImportJob(models.Model):
    class Format(models.TextChoices):
        GENERIC = "generic", "Generic long (sku, warehouse, date, units)"
        ONLINE_RETAIL = "online_retail", "UCI Online Retail II"
        M5 = "m5", "Walmart M5 (sales_train, calendar, sell_prices)"
        WIDE = "wide", "Wide daily table (DATE, QTY_<sku>, PROMO_<sku>)"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    format = models.CharField(max_length=20, choices=Format.choices)
    file_name = models.CharField(max_length=500, help_text="Original name(s) of the uploaded file(s).")
    stored_paths = models.JSONField(default=list, help_text="Storage names of the uploaded files under MEDIA_ROOT.")
    options = models.JSONField(default=dict, blank=True, help_text="Import options (conflict rule, dry run, ...).")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress_rows = models.BigIntegerField(default=0, help_text="Rows read so far.")
    summary = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True, help_text="Refused rows: line, column, value, reason.")
    error = models.TextField(blank=True, help_text="Why the import failed, in one sentence.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last sign of life of a running import.")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Import {self.pk} ({self.get_format_display()}, {self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class CalendarEvent(models.Model):
    date = models.DateField(db_index=True)
    name = models.CharField(max_length=100)
    event_type = models.CharField(max_length=50, blank=True)
    warehouse = models.ForeignKey(
        "inventory.Warehouse", null=True, blank=True, related_name="calendar_events", on_delete=models.CASCADE
    )

    class Meta:
        ordering = ["date", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "name", "warehouse"], name="calendarevent_unique_local",
                condition=Q(warehouse__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["date", "name"], name="calendarevent_unique_global", condition=Q(warehouse__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.name}" + (f" @{self.warehouse_id}" if self.warehouse_id else "")


class SalesLoad(models.Model):
    format = models.CharField(max_length=20)
    digest = models.CharField(max_length=64, db_index=True, help_text="SHA-256 of the files and the import options.")
    files = models.JSONField(default=list)
    sales_writes = models.BigIntegerField(help_text="The SalesDay write counter once this import had written.")
    days = models.BigIntegerField(help_text="Sales-days the files hold (inserted, updated and unchanged).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Load of {', '.join(self.files)[:80]} ({self.days:,} days)"
