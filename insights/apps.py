from django.apps import AppConfig

from forecasting.signals import forecast_run_succeeded
from inventory.signals import sales_imported
from inventory_site.observability.metrics import register_figures


class InsightsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "insights"
    verbose_name = "Insights (alerts, promotions, recommendations)"

    def ready(self):
        # Modules that import models load once the app registry is ready, hence here.
        from . import metrics
        from .hooks import queue_checks_after_forecast, queue_checks_after_import
        from .revisions import ALERTS

        register_figures(metrics.collect)
        sales_imported.connect(queue_checks_after_import, dispatch_uid="insights-after-import")
        forecast_run_succeeded.connect(queue_checks_after_forecast, dispatch_uid="insights-after-forecast")
        ALERTS.watch()
