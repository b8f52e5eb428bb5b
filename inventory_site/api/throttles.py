"""API rate limits. A module of its own, importing only DRF's throttling: REST_FRAMEWORK
["DEFAULT_THROTTLE_CLASSES"] names WriteRateThrottle, and DRF imports it while defining APIView, so
anything here that imported views or drf-spectacular would be a circular import.

Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (env API_THROTTLE_*). The counters live in
the default cache: Redis in production (shared by all workers), per process locally.
"""
from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle


class _LiveRateThrottle(UserRateThrottle):
    """Reads its rate from the settings at request time (DRF binds them at import, which
    override_settings and per-deployment env changes then cannot reach)."""

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES or {}
        return rates.get(self.scope)

    def __init__(self):
        # UserRateThrottle.__init__ reads the rate once; do it against the live settings.
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)


class WriteRateThrottle(_LiveRateThrottle):
    """Limits writes (POST/PUT/PATCH/DELETE) per user; reads are not counted."""

    scope = "write"

    def allow_request(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


class BulkRateThrottle(_LiveRateThrottle):
    """Limits the bulk endpoints (sales ingest, bulk approve/reject) per user."""

    scope = "bulk"


class LiveForecastRateThrottle(_LiveRateThrottle):
    """The live forecast computes on every call: it has its own budget."""

    scope = "live_forecast"


class TokenRateThrottle(_LiveRateThrottle):
    """Password-for-token exchanges, per client address (slows down password guessing)."""

    scope = "auth"
