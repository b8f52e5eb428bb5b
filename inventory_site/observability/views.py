"""/metrics: Prometheus text format, for the monitoring system only.

Open to anyone presenting `Authorization: Bearer <METRICS_TOKEN>` when that variable is set, and
to a direct connection from an address in METRICS_ALLOWED_IPS (default: loopback); 403 for
everyone else. Behind a reverse proxy on the same host every request comes from loopback, so the
address rule only holds for requests that carry no forwarding header and only when no proxy is
declared (NUM_PROXIES = 0): a proxied scrape needs the token.
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
    if settings.REST_FRAMEWORK.get("NUM_PROXIES") or any(
            h in request.META for h in ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")):
        return False  # came through a proxy: the socket's address is the proxy's, not the client's
    return request.META.get("REMOTE_ADDR") in settings.METRICS_ALLOWED_IPS


@login_not_required
def metrics(request):
    if not _allowed(request):
        return HttpResponseForbidden("metrics are restricted (METRICS_ALLOWED_IPS / METRICS_TOKEN)")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
