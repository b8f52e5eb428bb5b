"""Staff pages of the inventory app live in inventory/ui/ (one module per page family).

This module keeps the historical entry point: `home` is the dashboard.
"""
from .ui.dashboard import dashboard as home  # noqa: F401
