"""REST API routes: /api/v1/ (resources), /api/schema/ (OpenAPI 3), /api/docs/ and /api/redoc/ (the
Swagger UI and ReDoc, served from the app's own static files: no CDN).

Each app contributes its own router; the forecasting and replenishment routes are included when
those apps ship an `api.urls` module, so this file does not break while they are being built.
"""
from importlib import import_module

from django.urls import include, path

from inventory.api import docs

v1 = [path("", include("inventory.api.urls"))]
for module in ("inventory.api.bulk_urls", "forecasting.api.urls", "replenishment.api.urls"):
    try:
        import_module(module)
    except ModuleNotFoundError as error:
        if error.name and module.startswith(error.name):
            continue  # that app has no API yet
        raise
    v1.append(path("", include(module)))

urlpatterns = [
    path("v1/", include(v1)),
    path("v1/auth/token/", docs.ObtainTokenView.as_view(), name="api-token"),
    path("schema/", docs.SchemaView.as_view(), name="api-schema"),
    path("docs/", docs.SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", docs.RedocView.as_view(url_name="api-schema"), name="api-redoc"),
]
