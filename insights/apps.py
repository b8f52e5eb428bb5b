from django.apps import AppConfig


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
    verbose_name = "Insights (alerts, promotions, recommendations)"

    def ready(self):
        from inventory.signals import sales_imported

        from .hooks import queue_checks_after_import

        sales_imported.connect(queue_checks_after_import, dispatch_uid="insights-after-import")
