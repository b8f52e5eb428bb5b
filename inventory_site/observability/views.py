"""/metrics: Prometheus text format, for the monitoring system only.

Open to addresses in METRICS_ALLOWED_IPS (default: loopback), or to anyone presenting
`Authorization: Bearer <METRICS_TOKEN>` when that variable is set; 403 for everyone else.
"""
import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseForbidden
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .metrics import REGISTRY


def _allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        presented = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        if presented and hmac.compare_digest(presented, token):
            return True
    return request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS


@login_not_required
def metrics(request):
    if not _allowed(request):
        return HttpResponseForbidden("metrics are restricted (METRICS_ALLOWED_IPS / METRICS_TOKEN)")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
