"""Server-side request forgery: a webhook URL can never make the server reach its own network."""
import pytest
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError

from insights import services
from insights.models import WebhookDelivery, WebhookEndpoint
from insights.rules import Assessment
from inventory_site import outbound
from tests.factories import make_product, make_warehouse
from tests.insights.receivers import Receiver

pytestmark = pytest.mark.django_db


def _alert():
    alert, _ = services.raise_or_update(Assessment("stockout_risk", make_product().pk, make_warehouse().pk, True,
                                                   "critical", "will run out", {"probability": 0.8}))
    return alert


@pytest.mark.parametrize("url, rule", [
    ("http://169.254.169.254/latest/meta-data/", "Scheme 'http'"),
    ("https://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://127.0.0.1:6379/", "loopback"),
    ("https://localhost:5432/", "loopback"),
    ("https://[::1]/", "loopback"),
    ("https://[::ffff:127.0.0.1]/", "loopback"),
    ("https://10.1.2.3/", "private"),
    ("https://192.168.0.1/", "private"),
    ("https://100.64.0.1/", "carrier-grade"),
    ("https://0.0.0.0/", "unspecified"),
    ("ftp://example.com/", "Scheme 'ftp'"),
    ("https://user:pw@example.com/", "user name"),
])
def test_refused_urls_name_the_rule(url, rule):
    with pytest.raises(outbound.OutboundRefused, match=rule):
        outbound.check_url(url)
    with pytest.raises(ValidationError):
        WebhookEndpoint(name="x", url=url, secret="s").full_clean()


def test_http_needs_the_setting_and_inside_receivers_need_their_network(settings):
    settings.OUTBOUND_ALLOW_HTTP = True
    with pytest.raises(outbound.OutboundRefused, match="loopback"):
        outbound.check_url("http://127.0.0.1:9/")
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert outbound.check_url("http://127.0.0.1:9/x?a=1").path == "/x?a=1"


def test_a_loopback_webhook_saved_before_the_policy_is_refused_at_connect_time(settings,
                                                                               django_capture_on_commit_callbacks):
    """The stored row bypasses the save-time check (objects.create): the connect-time check still holds."""
    settings.INSIGHTS_NOTIFY_INLINE = True
    settings.OUTBOUND_ALLOW_HTTP = True
    with Receiver() as rx:
        WebhookEndpoint.objects.create(name="internal", url=rx.url, secret="s")
        with django_capture_on_commit_callbacks(execute=True):
            _alert()
        assert rx.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.failed and delivery.delivered_at is None and delivery.last_status is None
    assert "outbound policy" in delivery.last_error and "loopback" in delivery.last_error


def test_redirects_are_not_followed(settings, django_capture_on_commit_callbacks):
    settings.INSIGHTS_NOTIFY_INLINE = True
    settings.OUTBOUND_ALLOW_HTTP = True
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with Receiver() as inner, Receiver([302], location=inner.url) as redirecting:
        WebhookEndpoint.objects.create(name="redirecting", url=redirecting.url, secret="s")
        with django_capture_on_commit_callbacks(execute=True):
            _alert()
        assert len(redirecting.requests) == 1
        assert inner.requests == []  # the signature headers never reach the redirect's target
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_status == 302 and delivery.failed and "not followed" in delivery.last_error


def test_planners_cannot_add_or_change_webhooks(client):
    planner = User.objects.create_user("plan", password="pw-long-enough-1", is_staff=True)
    planner.groups.add(Group.objects.get(name="planner"))
    assert not planner.has_perm("insights.add_webhookendpoint")
    assert not planner.has_perm("insights.change_webhookendpoint")
    assert planner.has_perm("insights.view_webhookendpoint")
    assert not planner.has_perm("forecasting.change_forecastrun")
    assert not planner.has_perm("inventory.change_salesday")
    client.force_login(planner)
    assert client.get("/admin/insights/webhookendpoint/add/").status_code == 403
    admin_user = User.objects.create_user("adm", password="pw-long-enough-1", is_staff=True)
    admin_user.groups.add(Group.objects.get(name="admin"))
    assert admin_user.has_perm("insights.add_webhookendpoint")


def test_admin_form_refuses_an_internal_url(admin_client):
    response = admin_client.post("/admin/insights/webhookendpoint/add/", {
        "name": "metadata", "url": "https://169.254.169.254/latest", "secret": "s", "active": "on",
        "min_severity": "warning", "kinds": "[]"})
    assert response.status_code == 200  # the form again, with the error
    assert b"link-local" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_deliver_to_a_public_name_that_resolves_inside_is_refused_at_connect(settings, monkeypatch):
    """DNS rebinding: the name resolved to a public address at save time, to loopback at send time."""
    answers = iter([[(2, 1, 6, "", ("93.184.216.34", 443))], [(2, 1, 6, "", ("127.0.0.1", 443))]])
    monkeypatch.setattr(outbound.socket, "getaddrinfo", lambda *a, **k: next(answers))
    endpoint = WebhookEndpoint(name="rebind", url="https://hooks.example.com/x", secret="s")
    endpoint.full_clean()
    endpoint.save()
    with pytest.raises(outbound.OutboundRefused, match="loopback"):
        outbound.post(endpoint.url, b"{}", {}, 1.0)
