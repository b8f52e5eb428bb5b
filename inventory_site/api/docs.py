"""The OpenAPI schema, its two viewers (Swagger UI, ReDoc) and the token exchange.

The viewers load their JavaScript from drf-spectacular-sidecar's static files, served by the app
itself (whitenoise), because a deployment may have no internet. All three need authentication
like the rest of the API: a browser user logged in to the staff UI (session) can open them.
"""
from django.http import HttpResponse
from django.template import engines
from django.templatetags.static import static
from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny, IsAuthenticated

from .base import StockcastAutoSchema, TokenRateThrottle, error_response


def _sidecar(path: str) -> str:
    return static(f"drf_spectacular_sidecar/{path}")


class SchemaView(SpectacularAPIView):
    permission_classes = [IsAuthenticated]


class SwaggerView(SpectacularSwaggerView):
    permission_classes = [IsAuthenticated]

    @staticmethod
    def _swagger_ui_resource(filename):
        return _sidecar(f"swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon():
        return _sidecar("swagger-ui-dist/favicon-32x32.png")


# drf-spectacular's ReDoc page pulls web fonts from Google; ours uses the system fonts only.
REDOC_PAGE = """<!DOCTYPE html>
<html lang="en">
  <head>
    <title>{{ title }}</title>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <style>body { margin: 0; padding: 0; }</style>
  </head>
  <body>
    <redoc spec-url="{{ schema_url }}"></redoc>
    <script src="{{ redoc_standalone }}"></script>
  </body>
</html>
"""


class RedocView(SpectacularRedocView):
    permission_classes = [IsAuthenticated]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        page = engines["django"].from_string(REDOC_PAGE).render({
            "title": self.title, "redoc_standalone": self._redoc_standalone(),
            "schema_url": self._get_schema_url(request),
        })
        return HttpResponse(page, content_type="text/html; charset=utf-8")

    @staticmethod
    def _redoc_standalone():
        return _sidecar("redoc/bundles/redoc.standalone.js")


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token (created on first use).

    Tokens can also be created and revoked by an administrator in the Django admin
    (Auth Token > Tokens); revoking = deleting the token.
    """

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [TokenRateThrottle]
    schema = StockcastAutoSchema()

    @extend_schema(
        summary="Get your API token", tags=["auth"], auth=[],
        request=inline_serializer("TokenRequest", {"username": serializers.CharField(),
                                                   "password": serializers.CharField()}),
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
                   400: error_response("Wrong username or password.")},
        examples=[OpenApiExample("Credentials", request_only=True,
                                 value={"username": "integration", "password": "s3cret-pass"})],
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
