from django.apps import AppConfig

from inventory.signals import sales_imported


class StaffConfig(AppConfig):
    """The server-rendered pages of every app (and the demo command that drives them all)."""

    name = "staff"
    verbose_name = "Staff pages"

    def ready(self):
        # The receiver's module reads models, which load once the app registry is ready.
        from .tasks import queue_warm_after_import

        sales_imported.connect(queue_warm_after_import, dispatch_uid="staff-warm-after-import")
