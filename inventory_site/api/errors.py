"""One error body for the whole REST API: {"error": {"code", "message", "fields"}}.

`code` is stable and machine-readable, `message` is a sentence a person can act on, `fields`
names what was wrong (request fields, row numbers, limits). Domain errors (inventory_site.errors.
DomainError and every app's subclasses) carry their own code and HTTP status; DRF's exceptions are
reshaped; Django's Http404 / PermissionDenied / ProtectedError / ValidationError are mapped too,
so no client ever has to parse two shapes. Unexpected exceptions still propagate (500 + logging).

Enabled by REST_FRAMEWORK["EXCEPTION_HANDLER"] = "inventory_site.api.errors.api_exception_handler".
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from inventory_site.errors import DomainError


class ApiError(exceptions.APIException):
    """An API error with an explicit code and optional fields (raise it from views)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"
    default_detail = "The request is not valid."

    def __init__(self, message: str | None = None, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message or self.default_detail, code or self.default_code)
        self.error_code = code or self.default_code
        self.fields = fields or {}


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state of the resource."


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"
    default_detail = "The request body is too large."


class Unprocessable(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"
    default_detail = "The request is well formed but cannot be processed."


class ServiceUnavailable(ApiError):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "service_unavailable"
    default_detail = "A service this request needs is unavailable; retry later."


# DRF exception class -> stable error code (DRF's own `default_code` where it is already good).
_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _flatten_messages(detail) -> list[str]:
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            out.extend(f"{key}: {m}" if key != "non_field_errors" else m for m in _flatten_messages(value))
        return out
    if isinstance(detail, list):
        out = []
        for index, value in enumerate(detail):
            inner = _flatten_messages(value)
            # list of dicts (nested many=True serializer): say which item
            out.extend(f"[{index}] {m}" if isinstance(value, dict) else m for m in inner)
        return out
    return [str(detail)]


def _plain(detail):
    """ErrorDetail trees -> plain str/list/dict (JSON-safe, no ErrorDetail.code noise)."""
    if isinstance(detail, dict):
        return {str(k): _plain(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_plain(v) for v in detail]
    return str(detail)


def _validation_response(detail) -> Response:
    messages = _flatten_messages(detail)
    if isinstance(detail, dict):
        fields = _plain(detail)
    else:
        fields = {"non_field_errors": _plain(detail if isinstance(detail, list) else [detail])}
    message = messages[0] if len(messages) == 1 else f"{len(messages)} problems: " + "; ".join(messages[:5])
    return Response(error_body("invalid", message, fields), status=status.HTTP_400_BAD_REQUEST)


def api_exception_handler(exc, context):
    """DRF EXCEPTION_HANDLER: every handled error gets the same body; others re-raise (500)."""
    if isinstance(exc, DomainError):
        set_rollback()
        return Response({"error": exc.as_dict()}, status=exc.http_status)
    if isinstance(exc, (ProtectedError, RestrictedError)):
        set_rollback()
        blockers = sorted({type(obj).__name__ for obj in exc.protected_objects if obj is not None} if isinstance(
            exc, ProtectedError) else {type(obj).__name__ for obj in exc.restricted_objects})
        return Response(
            error_body(
                "in_use",
                "This object is still referenced by other records and cannot be deleted"
                + (f" ({', '.join(blockers)})." if blockers else "."),
                {"referenced_by": blockers},
            ),
            status=status.HTTP_409_CONFLICT,
        )
    # Backstops: validation should have caught these first; if a value still reaches the database
    # out of range, or a write still meets a unique key, the client gets the standard body, not a 500.
    if isinstance(exc, DataError):
        set_rollback()
        return Response(error_body("value_out_of_range", "A value is outside the range the database can store; "
                                   "nothing was written."), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        set_rollback()
        return Response(error_body("conflict", "The request conflicts with data already stored (a unique key or "
                                   "a rule of the database); nothing was written."), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, RecursionError):
        set_rollback()
        return Response(error_body("too_deep", "The request is nested too deeply to read."),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return _validation_response(detail)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let Django log it and answer 500

    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        response = _validation_response(exc.detail)
        for name, value in headers.items():
            response[name] = value
        return response
    if isinstance(exc, ApiError):
        body = error_body(exc.error_code, str(exc.detail), exc.fields)
    else:
        code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), None)
        code = code or (exc.get_codes() if isinstance(exc.get_codes(), str) else "error")
        fields = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            fields["retry_after_seconds"] = int(exc.wait)
        detail = exc.detail
        message = str(detail) if not isinstance(detail, (list, dict)) else "; ".join(_flatten_messages(detail))
        body = error_body(code, message, fields)
    return Response(body, status=exc.status_code, headers=headers)
