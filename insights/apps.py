from django.apps import AppConfig


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
    verbose_name = "Insights (alerts, promotions, recommendations)"

    def ready(self):
        from forecasting.signals import forecast_run_succeeded
        from inventory.signals import sales_imported

        from .hooks import queue_checks_after_forecast, queue_checks_after_import

        sales_imported.connect(queue_checks_after_import, dispatch_uid="insights-after-import")
        forecast_run_succeeded.connect(queue_checks_after_forecast, dispatch_uid="insights-after-forecast")
