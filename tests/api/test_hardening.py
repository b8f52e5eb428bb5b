"""Regression tests of the attack review (issue 18): each case once answered 500 or did harm."""
import json

import pytest
from django.test import override_settings
from rest_framework.settings import api_settings

from inventory import services
from inventory.models import IdempotencyRecord, SalesDay, StockLevel
from inventory_site.roles import PLANNER
from tests.api.conftest import client_for, make_user
from tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db

MOVEMENTS = "/api/v1/stock-movements/"


# --- 3. idempotency keys belong to a user and an operation ------------------------------------


def test_another_users_key_is_a_new_request(planner_client, django_user_model):
    product, warehouse = make_product(sku="K-1"), make_warehouse(code="WK")
    other = client_for(make_user(django_user_model, "planner2", PLANNER))
    payload = {"product": "K-1", "warehouse": "WK", "kind": "receipt", "quantity": 5}
    first = planner_client.post(MOVEMENTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="shared-key")
    second = other.post(MOVEMENTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="shared-key")
    assert first.status_code == 201 and second.status_code == 201  # B's receipt is recorded, not A's replayed
    assert "Idempotent-Replayed" not in second
    assert first.json()["id"] != second.json()["id"]
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 10
    # B sending another body under the same key learns nothing of A's movement: B's own key is free.
    payload["quantity"] = 7
    third = other.post(MOVEMENTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="another")
    assert third.status_code == 201


def test_same_key_other_body_is_409_naming_no_movement(planner_client):
    make_product(sku="K-2"), make_warehouse(code="WL")
    payload = {"product": "K-2", "warehouse": "WL", "kind": "receipt", "quantity": 5}
    assert planner_client.post(MOVEMENTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    payload["note"] = "a different body"
    response = planner_client.post(MOVEMENTS, payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "idempotency_conflict" and "K-2" not in error["message"]


def test_derived_ledger_keys_cannot_collide_across_operations(planner_client):
    product, a = make_product(sku="K-3"), make_warehouse(code="KA")
    make_warehouse(code="KB")
    services.receive(product, a, 10)
    move = planner_client.post(MOVEMENTS, {"product": "K-3", "warehouse": "KA", "kind": "receipt", "quantity": 1},
                               format="json", HTTP_IDEMPOTENCY_KEY="T2:in")
    assert move.status_code == 201
    transfer = planner_client.post(f"{MOVEMENTS}transfer/", {"product": "K-3", "source": "KA", "destination": "KB",
                                                             "quantity": 4}, format="json", HTTP_IDEMPOTENCY_KEY="T2")
    assert transfer.status_code == 201  # was an IntegrityError (500)
    assert IdempotencyRecord.objects.filter(key__in=["T2", "T2:in"]).count() == 2
    assert {lvl.warehouse.code: lvl.on_hand for lvl in StockLevel.objects.filter(product=product)} == {"KA": 7, "KB": 4}


def test_a_failed_request_leaves_its_key_free(planner_client):
    make_product(sku="K-4"), make_warehouse(code="WM")
    sale = {"product": "K-4", "warehouse": "WM", "kind": "sale", "quantity": 3}
    assert planner_client.post(MOVEMENTS, sale, format="json", HTTP_IDEMPOTENCY_KEY="s1").status_code == 409
    assert not IdempotencyRecord.objects.exists()
    receipt = {"product": "K-4", "warehouse": "WM", "kind": "receipt", "quantity": 3}
    assert planner_client.post(MOVEMENTS, receipt, format="json", HTTP_IDEMPOTENCY_KEY="s1").status_code == 201


# --- 4. no 500 on input ------------------------------------------------------------------------


@pytest.mark.parametrize("units, price", [(2**31, "1.00"), (10**20, "1.00"), (1, "1e15"), ("1e20", "")])
def test_bulk_sales_out_of_range_is_refused_naming_the_row(planner_client, units, price):
    make_warehouse(code="WB")
    body = f"sku,warehouse,date,units,price\nB-1,WB,2026-11-01,{units},{price}\n"
    response = planner_client.post("/api/v1/sales/bulk/?create_warehouses=true", body, content_type="text/csv")
    assert response.status_code == 422, response.content  # the endpoint's documented refusal of bad rows
    assert response.json()["error"]["code"] == "import_refused"
    problems = response.json()["error"]["fields"]["problems"]
    assert problems[0]["line"] == 2 and problems[0]["column"] in ("units", "price")
    assert not SalesDay.objects.exists()


def test_many_large_rows_of_one_day_sum_beyond_32_bits(planner_client):
    make_warehouse(code="WS")
    rows = "".join(f"S-1,WS,2026-11-01,{10**9}\n" for _ in range(5))
    response = planner_client.post("/api/v1/sales/bulk/", "sku,warehouse,date,units\n" + rows,
                                   content_type="text/csv")
    assert response.status_code == 200, response.content
    assert SalesDay.objects.get().units == 5 * 10**9


def test_receipts_sum_beyond_32_bits(planner_client):
    product, warehouse = make_product(sku="R-1"), make_warehouse(code="WR")
    for _ in range(3):
        response = planner_client.post(MOVEMENTS, {"product": "R-1", "warehouse": "WR", "kind": "receipt",
                                                   "quantity": 10**9}, format="json")
        assert response.status_code == 201
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 3 * 10**9
    too_big = planner_client.post(MOVEMENTS, {"product": "R-1", "warehouse": "WR", "kind": "receipt",
                                              "quantity": 10**9 + 1}, format="json")
    assert too_big.status_code == 400 and "quantity" in too_big.json()["error"]["fields"]


@pytest.mark.parametrize("url", ["/api/v1/stock-levels/", "/api/v1/products/", "/api/v1/sales-days/"])
def test_a_page_number_past_64_bits_is_404(viewer_client, url):
    make_product()
    response = viewer_client.get(f"{url}?page=9223372036854775807")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_nul_in_a_ui_path_is_400(client, django_user_model):
    user = make_user(django_user_model, "ui-user", PLANNER)
    client.force_login(user)
    response = client.get("/products/%00/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_characters"


def test_json_nested_100000_deep_is_400(planner_client):
    body = "[" * 100_000 + "]" * 100_000
    response = planner_client.post(MOVEMENTS, body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.json()["error"]["message"]
    too_deep = {"product": "x", "note": 1}
    for _ in range(40):
        too_deep = [too_deep]
    assert planner_client.post(MOVEMENTS, json.dumps(too_deep), content_type="application/json").status_code == 400


def test_bulk_body_of_the_documented_size_reaches_the_endpoint(planner_client):
    """Django's own body limit (2.5 MB) once answered first, with an HTML 400."""
    make_warehouse(code="WZ")
    header = "sku,warehouse,date,units,note_padding\n"
    row = "Z-1,WZ,2026-11-01,1," + "x" * 330 + "\n"
    body = header + row * 10_000  # about 3.6 MB, under the documented 4 MB
    assert 2_500_000 < len(body) < 4_000_000
    response = planner_client.post("/api/v1/sales/bulk/?create_warehouses=true&dry_run=true", body,
                                   content_type="text/csv")
    assert response["Content-Type"].startswith("application/json")
    assert response.status_code == 200, response.content[:300]
    huge = planner_client.post("/api/v1/sales/bulk/", header + row * 20_000, content_type="text/csv")
    assert huge.status_code == 413 and huge["Content-Type"].startswith("application/json")


# --- 5. the token endpoint's throttle cannot be dodged with X-Forwarded-For ---------------------


def test_forwarded_for_does_not_reset_the_token_throttle(anon_client):
    rates = {**api_settings.user_settings, "DEFAULT_THROTTLE_RATES": {
        **api_settings.DEFAULT_THROTTLE_RATES, "auth": "3/min"}}
    with override_settings(REST_FRAMEWORK=rates):
        answers = [anon_client.post("/api/v1/auth/token/", {"username": f"u{i}", "password": "wrong"},
                                    format="json", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
                   for i in range(6)]
    assert all(a in (400, 401) for a in answers[:3])  # refused logins, not throttled yet
    assert 429 in answers[3:]
