"""Every page needs a logged-in user unless its view says otherwise (login page, health checks).

Django's LoginRequiredMiddleware redirects anonymous users to the login page. The REST API is
left to Django REST framework, which authenticates tokens itself and answers 401 instead of a
redirect; every API view still requires authentication through DEFAULT_PERMISSION_CLASSES.
"""
from django.conf import settings
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.core.exceptions import RequestDataTooBig
from django.http import JsonResponse


class LoginRequiredByDefaultMiddleware(LoginRequiredMiddleware):
    api_prefix = "/api/"

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(self.api_prefix):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class RejectNulCharactersMiddleware:
    """Refuse requests carrying NUL characters (raw, %00 or JSON's \\u0000) with a 400.

    No field of stockcast may hold one, and PostgreSQL refuses them in text with an error that
    would otherwise surface as a 500 from whichever query first sees the value.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        # File uploads stream to disk and are validated by the importer; reading them here
        # would pull a 200 MB file into memory.
        is_upload = request.content_type.startswith("multipart/")
        try:
            body = request.body if request.method in ("POST", "PUT", "PATCH") and not is_upload else b""
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            return JsonResponse({"error": {"code": "payload_too_large", "message": f"The request body is larger "
                                           f"than {limit} bytes.", "fields": {"max_bytes": limit}}}, status=413)
        path = request.path
        if ("\x00" in path or "%00" in path or "%00" in query or "\x00" in query or b"\x00" in body
                or b"\\u0000" in body or b"%00" in body):
            return JsonResponse(
                {"error": {"code": "invalid_characters", "message": "The request contains a NUL character, "
                           "which no field accepts.", "fields": {}}},
                status=400,
            )
        return self.get_response(request)
