"""/api/v1/insights/ routes (included by inventory_site/urls.py)."""
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("alerts", api.AlertViewSet, basename="insights-alert")

urlpatterns = [
    path("", include(router.urls)),
    path("promotions/what-if/", api.PromotionWhatIfView.as_view(), name="insights-promotion-what-if"),
    path("promotions/<int:promotion_id>/review/", api.PromotionReviewView.as_view(), name="insights-promotion-review"),
    path("recommendations/<str:kind>/", api.RecommendationView.as_view(), name="insights-recommendations"),
]
