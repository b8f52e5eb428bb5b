"""Routes of the forecasting API, mounted under /api/v1/ by inventory_site.api.urls."""
from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("model-versions", views.ModelVersionViewSet, basename="model-version")
router.register("forecast-runs", views.ForecastRunViewSet, basename="forecast-run")
router.register("forecasts", views.ForecastViewSet, basename="forecast")

# live/ first: otherwise the router's forecasts/<pk>/ would try to match it
urlpatterns = [path("forecasts/live/", views.LiveForecastView.as_view(), name="forecast-live")] + router.urls
