"""Every page needs a logged-in user unless its view says otherwise (login page, health checks).

Django's LoginRequiredMiddleware redirects anonymous users to the login page. The REST API is
left to Django REST framework, which authenticates tokens itself and answers 401 instead of a
redirect; every API view still requires authentication through DEFAULT_PERMISSION_CLASSES.
"""
from django.contrib.auth.middleware import LoginRequiredMiddleware


class LoginRequiredByDefaultMiddleware(LoginRequiredMiddleware):
    api_prefix = "/api/"

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(self.api_prefix):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
