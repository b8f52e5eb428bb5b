"""Alerts ranked by what is at stake, small ones folded into a digest and never notified alone."""
import numpy as np
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from insights import services
from insights.models import Alert, WebhookEndpoint
from insights.rules import Assessment
from insights.rules.stockout import StockoutInput, assess_stockout
from inventory_site.env import env_amount
from tests.factories import make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def ranked(shop):
    wh = shop["warehouse"]

    def alert(sku, severity, money, kind="stockout_risk"):
        product = make_product(sku=sku)
        return Alert.objects.create(kind=kind, severity=severity, product=product, warehouse=wh,
                                    message=f"{sku} alert", money_at_stake=money)
    return {
        "warn_big": alert("WARN-BIG", "warning", 900.0),
        "crit_small_money": alert("CRIT-40", "critical", 40.0),
        "crit_big": alert("CRIT-700", "critical", 700.0),
        "drift": alert("DRIFT-1", "warning", None, kind="forecast_drift"),
        "trivia": alert("TRIVIA-1", "critical", 0.35),
        "trivia2": alert("TRIVIA-2", "warning", 1.20),
    }


def _order(html, skus):
    return sorted(skus, key=lambda s: html.index(f"{s} alert"))


def test_critical_first_then_money_then_no_figure(viewer_client, ranked, settings):
    settings.STOCKCAST_ALERT_MIN_AMOUNT = 5.0
    html = viewer_client.get(reverse("ui:alerts")).content.decode()
    assert _order(html, ["WARN-BIG", "CRIT-40", "CRIT-700", "DRIFT-1"]) == ["CRIT-700", "CRIT-40", "WARN-BIG", "DRIFT-1"]
    assert "TRIVIA-1 alert" not in html and "TRIVIA-2 alert" not in html
    assert "2 smaller alerts (each under 5 at stake, 1.55 in all) are folded here" in html


def test_the_digest_opens_on_request_and_the_minimum_is_a_setting(viewer_client, ranked, settings):
    settings.STOCKCAST_ALERT_MIN_AMOUNT = 5.0
    html = viewer_client.get(reverse("ui:alerts"), {"small": "1"}).content.decode()
    assert "TRIVIA-1 alert" in html and "Fold them again" in html
    settings.STOCKCAST_ALERT_MIN_AMOUNT = 0.0
    html = viewer_client.get(reverse("ui:alerts")).content.decode()
    assert "TRIVIA-1 alert" in html and 'id="alert-digest"' not in html


def test_a_small_alert_is_stored_but_not_notified(settings, shop, django_capture_on_commit_callbacks, monkeypatch):
    settings.STOCKCAST_ALERT_MIN_AMOUNT = 5.0
    sent = []
    monkeypatch.setattr(services.notify, "dispatch", lambda alert_id, event: sent.append((alert_id, event)))
    WebhookEndpoint.objects.create(name="ops", url="https://example.org/hook", secret="x")
    p, w = shop["mug"].pk, shop["warehouse"].pk
    with django_capture_on_commit_callbacks(execute=True):
        small, _ = services.raise_or_update(Assessment("stockout_risk", p, w, True, "critical", "tiny", {},
                                                       money_at_stake=0.35))
        big, _ = services.raise_or_update(Assessment("overstock", p, w, True, "warning", "big", {},
                                                     money_at_stake=250.0))
    assert Alert.objects.get(pk=small.pk).money_at_stake == 0.35
    assert sent == [(big.pk, "alert.opened")]


@pytest.mark.parametrize("raw", ["-1", "abc", "inf"])
def test_the_minimum_amount_setting_refuses_nonsense(monkeypatch, raw):
    monkeypatch.setenv("STOCKCAST_ALERT_MIN_AMOUNT", raw)
    with pytest.raises(ImproperlyConfigured, match="STOCKCAST_ALERT_MIN_AMOUNT"):
        env_amount("STOCKCAST_ALERT_MIN_AMOUNT", 5.0)


def test_the_stockout_rule_puts_its_margin_at_stake():
    levels = (0.1, 0.5, 0.9)
    q = np.tile([4.0, 5.0, 6.0], (14, 1))
    a = assess_stockout(StockoutInput(1, 1, available=3, on_order=0, lead_time_days=7, daily_quantiles=q,
                                      unit_margin=2.0, levels=levels))
    assert a.firing and a.money_at_stake == pytest.approx(a.evidence["expected_margin_lost"])
    assert a.money_at_stake > 50  # about 32 units short at 2.00 each


def test_the_dashboard_says_how_many_open_alerts_are_small(viewer_client, ranked, settings):
    settings.STOCKCAST_ALERT_MIN_AMOUNT = 5.0
    html = viewer_client.get(reverse("home")).content.decode()
    assert 'data-figure="open_alerts">6<' in html
    assert "2 of them under the smallest amount worth an alert" in html
