"""REST API routes: /api/v1/ (resources), /api/schema/ (OpenAPI 3), /api/docs/ and /api/redoc/ (the
Swagger UI and ReDoc, served from the app's own static files: no CDN).

Each app contributes its own routes; this URL conf mounts them (by name: include() imports them).
"""
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt

from . import docs
from .errors import error_body


@csrf_exempt  # any method: a POST to a wrong path is a 404, not Django's HTML CSRF page
def no_such_endpoint(request, *args, **kwargs):
    """Anything else under /api/ answers in the API's error shape, not with Django's HTML 404."""
    return JsonResponse(
        error_body("not_found", f"No API endpoint at {request.path}; see /api/schema/ for the list."), status=404
    )

v1 = [
    path("", include("inventory.api.urls")),
    path("", include("inventory.api.bulk_urls")),
    path("", include("forecasting.api.urls")),
    path("", include("replenishment.api.urls")),
    path("insights/", include("insights.api_urls")),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("v1/auth/token/", docs.ObtainTokenView.as_view(), name="api-token"),
    path("schema/", docs.SchemaView.as_view(), name="api-schema"),
    path("docs/", docs.SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", docs.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    re_path(r"^", no_such_endpoint),
]
