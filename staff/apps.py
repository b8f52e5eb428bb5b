from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The server-rendered pages of every app (and the demo command that drives them all)."""

    name = "staff"
    verbose_name = "Staff pages"
