"""Admin building blocks shared by the apps."""
from django.contrib import admin


class PipelineWrittenAdmin(admin.ModelAdmin):
    """Rows written by the pipeline (imports, forecast runs): shown in the admin, never edited there.

    A hand edit of a run's status or ``is_current`` flag, or of a sales day, would bypass the rules
    of the code that writes them (a run becomes current only when all of it succeeded; sales come
    through the validated, idempotent import). Correct them by running the pipeline again.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
