"""Routes of the replenishment API, mounted under /api/v1/ by inventory_site.api.urls."""
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("reorder-suggestions", views.ReorderSuggestionViewSet, basename="reorder-suggestion")
router.register("policy-replay-runs", views.PolicyReplayRunViewSet, basename="policy-replay-run")
router.register("policy-replays", views.PolicyReplayViewSet, basename="policy-replay")

urlpatterns = router.urls
