"""Admin of ImportJob: read-only history, and an action that runs selected imports again as Celery tasks; SalesLoad, read-only."""
from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html

from .import_models import CalendarEvent, ImportJob, SalesLoad
from .tasks import run_import_job


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ("id", "format", "file_name", "status", "progress_rows", "created_by", "created_at", "finished_at", "page")
    list_filter = ("status", "format")
    search_fields = ("file_name",)
    date_hierarchy = "created_at"
    actions = ["run_again"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False  # imports start from the upload page, which stores the files

    @admin.display(description="Report")
    def page(self, obj):
        return format_html('<a href="{}">progress and report</a>', reverse("imports:detail", args=[obj.pk]))

    @admin.action(description="Run the selected imports again (same files and options)", permissions=["change"])
    def run_again(self, request, queryset):
        queued = 0
        for job in queryset.exclude(status=ImportJob.Status.RUNNING):
            copy = ImportJob.objects.create(
                format=job.format, file_name=job.file_name, stored_paths=job.stored_paths, options=job.options,
                created_by=request.user,
            )
            transaction.on_commit(lambda pk=copy.pk: run_import_job.delay(pk))
            queued += 1
        if queued:
            self.message_user(request, f"{queued} import(s) queued again.", level=messages.SUCCESS)
        else:
            self.message_user(request, "Nothing queued: the selected imports are still running.", level=messages.WARNING)


@admin.register(CalendarEvent)
class CalendarEventAdmin(admin.ModelAdmin):
    list_display = ("date", "name", "event_type", "warehouse")
    list_filter = ("event_type", "warehouse")
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(SalesLoad)
class SalesLoadAdmin(admin.ModelAdmin):
    """What was imported, for the record; written only by the import (inventory.ingest.loads)."""

    list_display = ("created_at", "format", "days", "digest")
    list_filter = ("format",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
