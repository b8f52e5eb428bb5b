"""The insights REST API: alert list/ack/resolve with roles, what-if errors naming fields, recommendations."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from rest_framework.test import APIClient

from insights import services
from insights.models import Alert
from insights.rules import Assessment
from inventory.models import SalesDay, StockLevel
from inventory_site.roles import PLANNER, VIEWER
from tests.factories import make_category, make_product, make_warehouse

pytestmark = pytest.mark.django_db
BASE = "/api/v1/insights"


def client_for(role):
    user = User.objects.create_user(f"u-{role}", password="pw-" + "x" * 12)
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def alert():
    a, _ = services.raise_or_update(Assessment("overstock", make_product().pk, make_warehouse().pk, True,
                                               "warning", "too much", {"excess_value": 10}))
    return a


def test_list_defaults_to_active_alerts_and_filters(alert):
    viewer = client_for(VIEWER)
    r = viewer.get(f"{BASE}/alerts/")
    assert r.status_code == 200 and r.json()["count"] == 1
    assert r.json()["results"][0]["product"] == alert.product.sku
    assert viewer.get(f"{BASE}/alerts/?kind=stale_data").json()["count"] == 0
    bad = viewer.get(f"{BASE}/alerts/?status=closed")
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_viewer_cannot_acknowledge_planner_can(alert):
    assert client_for(VIEWER).post(f"{BASE}/alerts/{alert.pk}/acknowledge/").status_code == 403
    planner = client_for(PLANNER)
    r = planner.post(f"{BASE}/alerts/{alert.pk}/acknowledge/", {"note": "on it"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "acknowledged" and r.json()["acknowledged_by"] == "u-planner"
    again = planner.post(f"{BASE}/alerts/{alert.pk}/acknowledge/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    r = planner.post(f"{BASE}/alerts/{alert.pk}/resolve/", {"note": "sold"}, format="json")
    assert r.json()["status"] == "resolved"
    assert planner.get(f"{BASE}/alerts/").json()["count"] == 0
    assert planner.get(f"{BASE}/alerts/?status=all").json()["count"] == 1
    assert planner.post(f"{BASE}/alerts/999999/resolve/").status_code == 404
    assert Alert.objects.get().resolved_by.username == "u-planner"


def _history(p, w, days=60, units=5):
    today = timezone.localdate()
    SalesDay.objects.bulk_create([SalesDay(product=p, warehouse=w, date=today - timedelta(days=d), units=units)
                                  for d in range(1, days)])


def test_what_if_endpoint_answers_and_names_bad_fields():
    p, w = make_product(), make_warehouse()
    _history(p, w)
    today = timezone.localdate()
    body = {"products": [p.sku], "warehouses": [w.code], "start_date": str(today + timedelta(days=7)),
            "end_date": str(today + timedelta(days=13)), "discount_pct": "20"}
    viewer = client_for(VIEWER)
    r = viewer.post(f"{BASE}/promotions/what-if/", body, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["lines"][0]["method"] == "calibrated_uplift_on_baseline"
    for change, field in (({"end_date": str(today + timedelta(days=3))}, "end_date"),
                          ({"discount_pct": "95"}, "discount_pct"),
                          ({"products": ["NOPE"]}, "products")):
        r = viewer.post(f"{BASE}/promotions/what-if/", {**body, **change}, format="json")
        assert r.status_code == 400 and field in r.json()["error"]["fields"], (field, r.json())


def test_recommendations_endpoints(monkeypatch):
    import numpy as np

    from insights import recommendations

    # the text encoder is tested in test_recommendations; here only the HTTP layer
    monkeypatch.setattr(recommendations, "_embed", lambda texts: np.ones((len(texts), 3)))
    cat = make_category()
    w = make_warehouse()
    out = make_product(category=cat, name="Blue mug", price=Decimal("3"))
    sub = make_product(category=cat, name="Blue cup", price=Decimal("3"))
    StockLevel.objects.create(product=out, warehouse=w, on_hand=0)
    StockLevel.objects.create(product=sub, warehouse=w, on_hand=8)
    c = client_for(VIEWER)
    r = c.get(f"{BASE}/recommendations/substitutes/?product={out.sku}&warehouse={w.code}")
    assert r.status_code == 200 and [x["product"] for x in r.json()["results"]] == [sub.sku]
    assert c.get(f"{BASE}/recommendations/substitutes/?product={out.sku}").status_code == 400
    assert c.get(f"{BASE}/recommendations/push/").status_code == 200
    assert c.get(f"{BASE}/recommendations/clear/?target_date=2020-01-01").status_code == 400
    assert c.get(f"{BASE}/recommendations/nonsense/").status_code == 404
