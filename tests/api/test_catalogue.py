"""Catalogue resources: list, detail, create, update, delete rules, filters, ordering, errors."""
import pytest

from inventory.models import Category, Product, Warehouse
from tests.factories import make_category, make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db


def test_product_crud_by_external_keys(planner_client):
    category = make_category(code="FOODS_1")
    make_supplier(code="ACME")
    created = planner_client.post("/api/v1/products/", {
        "sku": "F1-001", "name": "Oat biscuits", "category": "FOODS_1", "supplier": "ACME",
        "unit_cost": "0.82", "price": "1.49", "pack_size": 12,
    }, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["category"] == "FOODS_1" and body["supplier"] == "ACME" and body["pack_size"] == 12
    product = Product.objects.get(sku="F1-001")
    assert product.category == category

    detail = planner_client.get(f"/api/v1/products/{product.pk}/")
    assert detail.status_code == 200 and detail.json()["sku"] == "F1-001"

    patched = planner_client.patch(f"/api/v1/products/{product.pk}/", {"price": "1.99", "active": False},
                                   format="json")
    assert patched.status_code == 200
    product.refresh_from_db()
    assert str(product.price) == "1.9900" and product.active is False

    put = planner_client.put(f"/api/v1/products/{product.pk}/", {"sku": "F1-001", "name": "Renamed"}, format="json")
    assert put.status_code == 200 and put.json()["name"] == "Renamed"


def test_product_validation_names_the_fields(planner_client):
    make_product(sku="DUP")
    response = planner_client.post("/api/v1/products/", {
        "sku": "DUP", "name": "x", "category": "NOPE", "pack_size": 0, "price": "-1"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) >= {"sku", "category", "pack_size", "price"}
    assert "problems" in error["message"]


def test_products_cannot_be_deleted_even_by_admin(admin_client_api):
    product = make_product()
    response = admin_client_api.delete(f"/api/v1/products/{product.pk}/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_category_delete_is_admin_only_and_409_while_in_use(planner_client, admin_client_api):
    used = make_category(code="USED")
    make_product(category=used)
    free = make_category(code="FREE")
    assert planner_client.delete(f"/api/v1/categories/{free.pk}/").status_code == 403
    conflict = admin_client_api.delete(f"/api/v1/categories/{used.pk}/")
    assert conflict.status_code == 409
    assert conflict.json()["error"]["code"] == "in_use"
    assert admin_client_api.delete(f"/api/v1/categories/{free.pk}/").status_code == 204
    assert not Category.objects.filter(code="FREE").exists()


def test_category_cannot_become_its_own_ancestor(planner_client):
    root = make_category(code="ROOT")
    child = make_category(code="CHILD", parent=root)
    response = planner_client.patch(f"/api/v1/categories/{root.pk}/", {"parent": "CHILD"}, format="json")
    assert response.status_code == 400
    assert "parent" in response.json()["error"]["fields"]
    assert child.parent_id == root.pk


def test_product_filters_and_ordering(viewer_client):
    a, b = make_category(code="A"), make_category(code="B")
    make_product(sku="P-3", category=a, price="3")
    make_product(sku="P-1", category=b, price="1", brand="Acme")
    make_product(sku="P-2", category=a, price="2")
    rows = viewer_client.get("/api/v1/products/?category=A&ordering=-price").json()["results"]
    assert [r["sku"] for r in rows] == ["P-3", "P-2"]
    assert [r["sku"] for r in viewer_client.get("/api/v1/products/?search=acme").json()["results"]] == ["P-1"]


def test_supplier_and_warehouse_create_update(planner_client):
    supplier = planner_client.post("/api/v1/suppliers/", {"code": "S1", "name": "S one", "lead_time_mean_days": "4.5"},
                                   format="json")
    assert supplier.status_code == 201
    negative = planner_client.post("/api/v1/suppliers/", {"code": "S2", "name": "x", "lead_time_mean_days": "-1"},
                                   format="json")
    assert negative.status_code == 400 and "lead_time_mean_days" in negative.json()["error"]["fields"]
    warehouse = planner_client.post("/api/v1/warehouses/", {"code": "W1", "name": "W one", "capacity_units": 100},
                                    format="json")
    assert warehouse.status_code == 201
    pk = warehouse.json()["id"]
    assert planner_client.patch(f"/api/v1/warehouses/{pk}/", {"allow_backorders": True}, format="json").status_code == 200
    assert Warehouse.objects.get(pk=pk).allow_backorders


def test_turning_backorders_off_with_negative_stock_is_a_conflict(planner_client):
    from inventory import services

    warehouse = make_warehouse(allow_backorders=True)
    services.sell(make_product(), warehouse, 5)
    response = planner_client.patch(f"/api/v1/warehouses/{warehouse.pk}/", {"allow_backorders": False},
                                    format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "negative_stock"


def test_promotion_create_validates_dates_and_filters(planner_client, viewer_client):
    product, warehouse = make_product(sku="PR-1"), make_warehouse(code="PW")
    bad = planner_client.post("/api/v1/promotions/", {
        "name": "x", "products": ["PR-1"], "warehouses": ["PW"], "start_date": "2026-12-10",
        "end_date": "2026-12-01"}, format="json")
    assert bad.status_code == 400 and "end_date" in bad.json()["error"]["fields"]
    good = planner_client.post("/api/v1/promotions/", {
        "name": "Winter", "products": ["PR-1"], "warehouses": ["PW"], "start_date": "2026-12-01",
        "end_date": "2026-12-10", "discount_pct": "15"}, format="json")
    assert good.status_code == 201, good.json()
    assert good.json()["products"] == ["PR-1"]
    hits = viewer_client.get("/api/v1/promotions/?product=PR-1&active_on=2026-12-05").json()
    assert hits["count"] == 1
    assert viewer_client.get("/api/v1/promotions/?active_on=2026-12-11").json()["count"] == 0
    assert product.promotions.count() == 1 and warehouse.promotions.count() == 1


def test_unknown_object_is_404_in_the_error_shape(viewer_client):
    response = viewer_client.get("/api/v1/products/999999/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": response.json()["error"]["message"],
                                         "fields": {}}}
