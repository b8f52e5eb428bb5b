"""The alerts inbox: filters, the dashboard count, and planner-only acknowledge / resolve."""
import pytest
from django.urls import reverse

Alert = pytest.importorskip("insights.models").Alert

pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(shop):
    mug, lamp, wh = shop["mug"], shop["lamp"], shop["warehouse"]
    return {
        "risk": Alert.objects.create(kind="stockout_risk", severity="critical", product=mug, warehouse=wh,
                                     message="MUG-1 may run out before the next delivery."),
        "over": Alert.objects.create(kind="overstock", severity="warning", product=lamp, warehouse=wh,
                                     message="LAMP-1 holds 500 days of cover."),
        "old": Alert.objects.create(kind="stale_data", severity="info", message="No sales for 3 days.",
                                    status="resolved", resolved_at="2024-01-01T00:00:00Z"),
    }


def test_inbox_shows_active_alerts_and_filters(viewer_client, alerts):
    url = reverse("ui:alerts")
    page = viewer_client.get(url).content.decode()
    assert "MUG-1 may run out" in page and "LAMP-1 holds" in page and "No sales for 3 days" not in page
    assert reverse("ui:product", args=["MUG-1"]) in page
    critical = viewer_client.get(url, {"severity": "critical"}).content.decode()
    assert "MUG-1 may run out" in critical and "LAMP-1 holds" not in critical
    overstock = viewer_client.get(url, {"kind": "overstock"}).content.decode()
    assert "LAMP-1 holds" in overstock and "MUG-1 may run out" not in overstock
    resolved = viewer_client.get(url, {"status": "resolved"}).content.decode()
    assert "No sales for 3 days" in resolved and ">Resolve</button>" not in resolved


def test_dashboard_counts_active_alerts_by_severity(viewer_client, alerts):
    page = viewer_client.get(reverse("home")).content.decode()
    assert 'data-figure="open_alerts">2<' in page
    assert "1 critical" in page and "1 warning" in page


def test_viewer_cannot_acknowledge(viewer_client, alerts):
    response = viewer_client.post(reverse("ui:alert-action", args=[alerts["risk"].pk, "acknowledge"]))
    assert response.status_code == 403
    alerts["risk"].refresh_from_db()
    assert alerts["risk"].status == "open"


def test_planner_acknowledges_then_resolves_with_a_note(planner_client, alerts, planner):
    alert = alerts["risk"]
    planner_client.post(reverse("ui:alert-action", args=[alert.pk, "acknowledge"]), {"note": "ordering today"})
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == planner and alert.note == "ordering today"
    response = planner_client.post(reverse("ui:alert-action", args=[alert.pk, "resolve"]), follow=True)
    alert.refresh_from_db()
    assert alert.status == "resolved"
    again = planner_client.post(reverse("ui:alert-action", args=[alert.pk, "resolve"]), follow=True)
    assert "already resolved" in again.content.decode()
    assert response.status_code == 200
