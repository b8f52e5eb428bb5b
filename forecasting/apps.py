from django.apps import AppConfig

from inventory.api.contributions import contributions
from inventory_site.observability.metrics import register_figures


class ForecastingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forecasting"

    def ready(self):
        # Modules that import models load once the app registry is ready, hence here.
        from . import metrics, selectors

        register_figures(metrics.collect)
        contributions.current_forecast_run = selectors.current_run_id
        contributions.forecast_rows = selectors.product_forecast_rows
