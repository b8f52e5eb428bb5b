from django.apps import AppConfig


class ReplenishmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "replenishment"

    def ready(self):
        from forecasting.signals import forecast_run_succeeded

        from .hooks import queue_replenishment_after_forecast

        forecast_run_succeeded.connect(queue_replenishment_after_forecast, dispatch_uid="replenishment-after-forecast")
