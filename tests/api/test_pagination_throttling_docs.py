"""Pagination limits, rate limits, the error body, and the docs served without a CDN."""
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings
from rest_framework.settings import api_settings

from inventory_site.api.base import MAX_PAGE_SIZE
from inventory.models import Category

pytestmark = pytest.mark.django_db


def test_page_size_is_capped(viewer_client):
    Category.objects.bulk_create(Category(code=f"C{i:04d}", name=f"c{i}") for i in range(MAX_PAGE_SIZE + 7))
    body = viewer_client.get("/api/v1/categories/?page_size=100000").json()
    assert body["count"] == MAX_PAGE_SIZE + 7
    assert len(body["results"]) == MAX_PAGE_SIZE
    assert body["next"] and "page=2" in body["next"]
    default = viewer_client.get("/api/v1/categories/").json()
    assert len(default["results"]) == 50
    last = viewer_client.get("/api/v1/categories/?page_size=500&page=2").json()
    assert len(last["results"]) == 7


def test_page_out_of_range_is_404_in_the_error_shape(viewer_client):
    response = viewer_client.get("/api/v1/categories/?page=99")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_bad_ordering_field_is_ignored_not_500(viewer_client):
    assert viewer_client.get("/api/v1/products/?ordering=password").status_code == 200


def test_bad_filter_value_is_400_naming_the_parameter(viewer_client):
    response = viewer_client.get("/api/v1/sales-days/?date_from=yesterday")
    assert response.status_code == 400
    assert "date_from" in response.json()["error"]["fields"]


def _rates(**changes):
    return {**api_settings.user_settings, "DEFAULT_THROTTLE_RATES": {
        **api_settings.DEFAULT_THROTTLE_RATES, **changes}}


def test_writes_are_throttled_reads_are_not(planner_client):
    with override_settings(REST_FRAMEWORK=_rates(write="2/min")):
        for i in range(2):
            assert planner_client.post("/api/v1/categories/", {"code": f"T{i}", "name": "t"},
                                       format="json").status_code == 201
        throttled = planner_client.post("/api/v1/categories/", {"code": "T9", "name": "t"}, format="json")
        assert throttled.status_code == 429
        assert throttled.json()["error"]["code"] == "throttled"
        assert int(throttled["Retry-After"]) > 0
        assert throttled.json()["error"]["fields"]["retry_after_seconds"] > 0
        for _ in range(5):
            assert planner_client.get("/api/v1/categories/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_bulk_endpoint_has_its_own_tighter_limit(planner_client):
    with override_settings(REST_FRAMEWORK=_rates(bulk="1/min")):
        body = "sku,warehouse,date,units\n"  # no rows: refused with 400, still counted
        assert planner_client.post("/api/v1/sales/bulk/", body, content_type="text/csv").status_code == 400
        assert planner_client.post("/api/v1/sales/bulk/", body, content_type="text/csv").status_code == 429


def test_swagger_and_redoc_use_local_static_files(viewer_client):
    for path, asset in (("/api/docs/", "swagger-ui-bundle.js"), ("/api/redoc/", "redoc.standalone.js")):
        html = viewer_client.get(path).content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert any(asset in s for s in sources), sources
        assert not any(s.startswith(("http://", "https://", "//")) for s in sources), sources
        local = next(s for s in sources if asset in s)
        assert finders.find(local.split("/static/", 1)[1]), local


def test_schema_is_openapi3_and_lists_every_v1_route(viewer_client):
    schema = viewer_client.get("/api/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for expected in ("/api/v1/stock-levels/", "/api/v1/stock-movements/", "/api/v1/sales/bulk/",
                     "/api/v1/purchase-orders/{id}/receive/", "/api/v1/auth/token/"):
        assert expected in paths, sorted(paths)
    movement = paths["/api/v1/stock-movements/"]["post"]
    assert {"201", "400", "401", "403", "409"} <= set(movement["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in movement["parameters"])
    assert "examples" in movement["requestBody"]["content"]["application/json"]
