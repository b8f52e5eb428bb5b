"""What every API view of stockcast shares: pagination, the error schema, permissions (throttles: throttles.py).

The forecasting and replenishment APIs import these too, so that one integration sees one
pagination shape, one error body and one set of rate limits everywhere.
"""
from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission

from inventory_site.roles import PlannerWriteOrReadOnly, can_plan, is_admin

from .parsers import BoundedJSONParser
from .throttles import BulkRateThrottle, LiveForecastRateThrottle, TokenRateThrottle, WriteRateThrottle  # noqa: F401

# --- pagination -------------------------------------------------------------------------------

MAX_PAGE_SIZE = 500


class StandardPagination(PageNumberPagination):
    """`?page=N&page_size=M`; M is capped at MAX_PAGE_SIZE whatever the client asks for."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


# --- permissions ------------------------------------------------------------------------------


class CatalogueWrite(BasePermission):
    """Reads: any authenticated user. Create/update: planner or admin. Delete: admin only."""

    message = "This action needs the planner role (deleting needs the admin role)."

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        if request.method == "DELETE":
            return is_admin(user)
        return can_plan(user)


# --- schema -----------------------------------------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `invalid`, `invalid_transition`.")
    message = serializers.CharField(help_text="A sentence saying what went wrong and what to do.")
    fields = serializers.DictField(
        help_text="What the error is about: request field -> messages, row numbers, limits.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


# Documented on every operation, so that clients (and schemathesis) know the error shape.
COMMON_ERRORS = {
    400: "Invalid input: `fields` maps each bad field to its messages.",
    401: "No or invalid credentials (send `Authorization: Token <key>`).",
    403: "Authenticated, but the role does not allow this (viewers only read).",
    404: "No such object.",
    405: "Method not allowed on this path.",
    406: "The Accept header asks for a format the API does not produce.",
    415: "Unsupported Content-Type.",
    429: "Rate limit reached; retry after `Retry-After` seconds.",
}
# Writes can also meet stored data (a unique key, a rule of the database) and carry a body.
COMMON_WRITE_ERRORS = {
    409: "Conflicts with data already stored (a unique key, an object still in use, a state that does not "
         "allow it); nothing was written.",
    413: "The request body is larger than the server reads (4 MB).",
}


class StockcastAutoSchema(AutoSchema):
    """AutoSchema that adds the shared error responses to every operation."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        common = COMMON_ERRORS | (COMMON_WRITE_ERRORS if self.method in ("POST", "PUT", "PATCH", "DELETE") else {})
        for code, description in common.items():
            key = str(code)
            if key in responses:
                continue
            responses[key] = self._get_response_for_code(ErrorSerializer, key, direction=direction)
            responses[key]["description"] = description
        return responses


class ApiViewMixin:
    """Pagination, throttles, JSON bodies and the schema class every v1 view shares."""

    parser_classes = [BoundedJSONParser]  # one body format: anything else is a clear 415
    pagination_class = StandardPagination
    throttle_classes = [WriteRateThrottle]
    schema = StockcastAutoSchema()
    permission_classes = [PlannerWriteOrReadOnly]
