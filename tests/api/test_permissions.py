"""The permission matrix: anonymous 401 everywhere, viewer reads but 403 on every write, planner writes."""
import pytest
from rest_framework.authtoken.models import Token

from inventory import services
from inventory.purchasing import services as purchasing
from tests.factories import make_category, make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db

READS = [
    "/api/v1/categories/", "/api/v1/suppliers/", "/api/v1/warehouses/", "/api/v1/products/",
    "/api/v1/stock-levels/", "/api/v1/stock-movements/", "/api/v1/sales-days/", "/api/v1/promotions/",
    "/api/v1/purchase-orders/", "/api/schema/", "/api/docs/", "/api/redoc/",
]


@pytest.fixture
def world():
    category, supplier, warehouse = make_category(code="PC"), make_supplier(code="PS"), make_warehouse(code="PW")
    product = make_product(sku="PP", category=category, supplier=supplier)
    services.receive(product, warehouse, 50)
    order = purchasing.create_purchase_order(supplier=supplier, warehouse=warehouse,
                                           lines=[purchasing.OrderLineRequest(product, 5)])
    return {"category": category, "supplier": supplier, "warehouse": warehouse, "product": product, "order": order}


def writes(world):
    """(method, path, payload) for one write of each kind; each succeeds for a planner."""
    c, s, w, p, o = (world[k] for k in ("category", "supplier", "warehouse", "product", "order"))
    return [
        ("post", "/api/v1/categories/", {"code": "NEWC", "name": "New"}),
        ("patch", f"/api/v1/categories/{c.pk}/", {"name": "Renamed"}),
        ("post", "/api/v1/suppliers/", {"code": "NEWS", "name": "New"}),
        ("patch", f"/api/v1/suppliers/{s.pk}/", {"name": "Renamed"}),
        ("post", "/api/v1/warehouses/", {"code": "NEWW", "name": "New"}),
        ("patch", f"/api/v1/warehouses/{w.pk}/", {"name": "Renamed"}),
        ("post", "/api/v1/products/", {"sku": "NEWP", "name": "New"}),
        ("put", f"/api/v1/products/{p.pk}/", {"sku": "PP", "name": "Renamed"}),
        ("post", "/api/v1/stock-movements/", {"product": "PP", "warehouse": "PW", "kind": "sale", "quantity": 1}),
        ("post", "/api/v1/promotions/", {"name": "P", "products": ["PP"], "warehouses": ["PW"],
                                         "start_date": "2026-12-01", "end_date": "2026-12-02"}),
        ("post", "/api/v1/purchase-orders/", {"supplier": "PS", "warehouse": "PW",
                                              "lines": [{"product": "PP", "quantity": 1}]}),
        ("patch", f"/api/v1/purchase-orders/{o.pk}/", {"notes": "n"}),
        ("post", f"/api/v1/purchase-orders/{o.pk}/approve/", {}),
    ]


@pytest.mark.parametrize("path", READS)
def test_reads_need_authentication_and_viewers_may_read(path, anon_client, viewer_client):
    anonymous = anon_client.get(path)
    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"] == "Token"
    if path.startswith("/api/v1/"):  # the schema and the doc pages answer in their own formats
        assert anonymous.json()["error"]["code"] == "not_authenticated"
    assert viewer_client.get(path).status_code == 200


def test_every_write_is_401_anonymous_403_viewer_and_allowed_to_planner(world, anon_client, viewer_client,
                                                                         planner_client):
    for method, path, payload in writes(world):
        assert getattr(anon_client, method)(path, payload, format="json").status_code == 401, (method, path)
        denied = getattr(viewer_client, method)(path, payload, format="json")
        assert denied.status_code == 403, (method, path)
        assert denied.json()["error"]["code"] == "permission_denied"
    for method, path, payload in writes(world):
        response = getattr(planner_client, method)(path, payload, format="json")
        assert response.status_code in (200, 201), (method, path, response.json())


def test_bad_token_is_401(world, anon_client):
    anon_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = anon_client.get("/api/v1/products/")
    assert response.status_code == 401 and response.json()["error"]["code"] == "authentication_failed"


def test_token_lookup_gives_the_stored_user_and_refuses_an_inactive_one(planner, planner_client, django_user_model):
    """The compiled token lookup returns the user as the ORM reads it (every column) and keeps
    DRF's rule for inactive users."""
    from inventory_site.api.token_auth import CompiledTokenAuthentication

    key = Token.objects.get(user=planner).key
    user, token = CompiledTokenAuthentication().authenticate_credentials(key)
    stored = django_user_model.objects.get(pk=planner.pk)
    columns = [field.attname for field in django_user_model._meta.concrete_fields]
    assert [getattr(user, c) for c in columns] == [getattr(stored, c) for c in columns]
    assert token.key == key and token.user == stored
    django_user_model.objects.filter(pk=planner.pk).update(is_active=False)
    response = planner_client.get("/api/v1/products/")
    assert response.status_code == 401 and "inactive" in response.json()["error"]["message"].lower()


def test_revoked_token_stops_working(planner, planner_client):
    assert planner_client.get("/api/v1/products/").status_code == 200
    Token.objects.filter(user=planner).delete()  # what "revoke" in the admin does
    assert planner_client.get("/api/v1/products/").status_code == 401


def test_session_login_works_for_the_browser(client, viewer):
    client.force_login(viewer)
    assert client.get("/api/v1/products/").status_code == 200
    # session writes need the CSRF token (DRF enforces it for session auth)
    from django.test import Client
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(viewer)
    assert strict.post("/api/v1/categories/", {"code": "x", "name": "y"}).status_code == 403


def test_token_exchange(planner, anon_client):
    ok = anon_client.post("/api/v1/auth/token/", {"username": "planner1", "password": "a-long-test-password-1"},
                          format="json")
    assert ok.status_code == 200 and ok.json()["token"] == Token.objects.get(user=planner).key
    wrong = anon_client.post("/api/v1/auth/token/", {"username": "planner1", "password": "nope"}, format="json")
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "invalid"
