from django.apps import AppConfig

from forecasting.signals import forecast_run_succeeded
from inventory.api.contributions import contributions


class ReplenishmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "replenishment"

    def ready(self):
        # Modules that import models load once the app registry is ready, hence here.
        from .api.stock import annotate_reorder_point
        from .hooks import queue_replenishment_after_forecast
        from .revisions import SUGGESTIONS

        contributions.annotate_reorder_point = annotate_reorder_point
        forecast_run_succeeded.connect(queue_replenishment_after_forecast, dispatch_uid="replenishment-after-forecast")
        SUGGESTIONS.watch()
