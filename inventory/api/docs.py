"""The OpenAPI schema, its two viewers (Swagger UI, ReDoc) and the token exchange.

The viewers load their JavaScript from drf-spectacular-sidecar's static files, served by the app
itself (whitenoise), because a deployment may have no internet. All three need authentication
like the rest of the API: a browser user logged in to the staff UI (session) can open them.
"""
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


class RedocView(SpectacularRedocView):
    permission_classes = [IsAuthenticated]

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
