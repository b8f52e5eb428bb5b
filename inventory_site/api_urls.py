"""REST API routes, versioned under /api/v1/ (filled in by the API feature)."""
urlpatterns = []
