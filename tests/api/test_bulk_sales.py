"""POST /api/v1/sales/bulk/: JSON and CSV, all-or-nothing, idempotent, row-numbered errors, 413."""
import json

import pytest

from inventory.api.bulk import MAX_ROWS
from inventory.models import Product, SalesDay, Warehouse
from tests.factories import make_product, make_warehouse

# transaction=True: the pipeline runs its own transaction and SQLite PRAGMAs, as in a real request
pytestmark = pytest.mark.django_db(transaction=True)
URL = "/api/v1/sales/bulk/"


def _post_json(client, payload, query=""):
    return client.post(URL + query, json.dumps(payload), content_type="application/json")


def test_json_rows_are_written_and_a_resend_changes_nothing(planner_client):
    make_warehouse(code="CA_1")
    rows = [
        {"sku": "B-1", "warehouse": "CA_1", "date": "2026-11-27", "units": 4, "price": "1.50"},
        {"sku": "B-1", "warehouse": "CA_1", "date": "2026-11-28", "units": 2, "on_promotion": True},
        {"sku": "B-2", "warehouse": "CA_1", "date": "2026-11-28", "units": 0, "name": "New thing"},
    ]
    first = _post_json(planner_client, {"rows": rows})
    assert first.status_code == 200, first.json()
    assert first.json()["days_inserted"] == 3 and first.json()["products_created"] == 2
    day = SalesDay.objects.get(product__sku="B-1", date="2026-11-27")
    assert day.units == 4 and float(day.revenue) == 6.0
    assert SalesDay.objects.get(product__sku="B-1", date="2026-11-28").on_promotion is True
    assert Product.objects.get(sku="B-2").name == "New thing"

    again = _post_json(planner_client, {"rows": rows})
    assert again.status_code == 200
    assert (again.json()["days_inserted"], again.json()["days_updated"], again.json()["days_unchanged"]) == (0, 0, 3)
    assert SalesDay.objects.count() == 3


def test_csv_body_same_pipeline(planner_client):
    make_warehouse(code="CA_2")
    body = "sku,warehouse,date,units,price\nC-1,CA_2,2026-11-28,5,2.00\nC-1,CA_2,2026-11-28,1,2.00\n"
    response = planner_client.post(URL, body, content_type="text/csv")
    assert response.status_code == 200, response.json()
    assert SalesDay.objects.get(product__sku="C-1").units == 6  # same day adds up


def test_bad_rows_refuse_everything_and_name_rows(planner_client):
    make_warehouse(code="CA_3")
    rows = [
        {"sku": "D-1", "warehouse": "CA_3", "date": "2026-11-28", "units": 1},
        {"sku": "D-2", "warehouse": "CA_3", "date": "28/11/2026", "units": 1},
        {"sku": "D-3", "warehouse": "CA_3", "date": "2026-11-28", "units": -2},
        {"sku": "D-4", "warehouse": "NOWHERE", "date": "2026-11-28", "units": 1},
    ]
    response = _post_json(planner_client, {"rows": rows})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "import_refused" and error["fields"]["problem_count"] == 3
    where = {(p["row"], p["column"]) for p in error["fields"]["problems"]}
    assert where == {(1, "date"), (2, "units"), (3, "warehouse")}
    assert "nothing was written" in error["message"]
    assert not SalesDay.objects.exists() and not Product.objects.filter(sku="D-1").exists()


def test_csv_errors_use_editor_line_numbers(planner_client):
    make_warehouse(code="CA_4")
    body = "sku,warehouse,date,units\nE-1,CA_4,2026-11-28,1\nE-2,CA_4,2026-11-28,lots\n"
    error = planner_client.post(URL, body, content_type="text/csv").json()["error"]
    assert [(p["line"], p["column"], p["value"]) for p in error["fields"]["problems"]] == [(3, "units", "lots")]


def test_missing_column_is_reported(planner_client):
    response = planner_client.post(URL, "sku,date,units\nX,2026-11-28,1\n", content_type="text/csv")
    assert response.status_code == 422
    assert response.json()["error"]["fields"]["problems"][0]["column"] == "warehouse"


def test_unknown_warehouse_can_be_created_on_request(planner_client):
    rows = [{"sku": "G-1", "warehouse": "NEW_WH", "date": "2026-11-28", "units": 1}]
    assert _post_json(planner_client, {"rows": rows}).status_code == 422
    created = _post_json(planner_client, {"rows": rows}, "?create_warehouses=true")
    assert created.status_code == 200 and created.json()["warehouses_created"] == 1
    assert Warehouse.objects.filter(code="NEW_WH").exists()


def test_dry_run_writes_nothing(planner_client):
    make_warehouse(code="CA_5")
    response = _post_json(planner_client, [{"sku": "H-1", "warehouse": "CA_5", "date": "2026-11-28", "units": 1}],
                          "?dry_run=true")
    assert response.status_code == 200 and response.json()["dry_run"] is True
    assert response.json()["days_inserted"] == 1
    assert not SalesDay.objects.exists()


def test_more_than_the_limit_is_413_with_how_to_split(planner_client):
    rows = [{"sku": "S", "warehouse": "W", "date": "2026-11-28", "units": 1}] * (MAX_ROWS + 1)
    response = _post_json(planner_client, {"rows": rows})
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "too_many_rows" and error["fields"]["max_rows"] == MAX_ROWS
    assert "Split" in error["message"]
    csv_body = "sku,warehouse,date,units\n" + "S,W,2026-11-28,1\n" * (MAX_ROWS + 1)
    assert planner_client.post(URL, csv_body, content_type="text/csv").status_code == 413


def test_structural_errors_are_400(planner_client):
    assert planner_client.post(URL, "{not json", content_type="application/json").status_code == 400
    unknown = _post_json(planner_client, {"rows": [{"sku": "x", "colour": "red"}]})
    assert unknown.status_code == 400 and "rows[0]" in unknown.json()["error"]["fields"]
    assert _post_json(planner_client, {"rows": []}).status_code == 400
    assert planner_client.post(URL, "a=b", content_type="application/x-www-form-urlencoded").status_code == 415


def test_bad_query_options_are_400(planner_client):
    rows = [{"sku": "x", "warehouse": "w", "date": "2026-11-28", "units": 1}]
    assert _post_json(planner_client, {"rows": rows}, "?conflict=merge").status_code == 400
    assert _post_json(planner_client, {"rows": rows}, "?dry_run=maybe").status_code == 400


def test_viewer_cannot_push_and_anonymous_is_401(viewer_client, anon_client):
    rows = [{"sku": "x", "warehouse": "w", "date": "2026-11-28", "units": 1}]
    assert _post_json(viewer_client, {"rows": rows}).status_code == 403
    assert _post_json(anon_client, {"rows": rows}).status_code == 401


def test_skip_mode_keeps_stored_days(planner_client):
    warehouse, product = make_warehouse(code="CA_6"), make_product(sku="K-1")
    SalesDay.objects.create(product=product, warehouse=warehouse, date="2026-11-28", units=9)
    rows = [{"sku": "K-1", "warehouse": "CA_6", "date": "2026-11-28", "units": 1}]
    assert _post_json(planner_client, {"rows": rows}, "?conflict=skip").status_code == 200
    assert SalesDay.objects.get(product=product).units == 9
    assert _post_json(planner_client, {"rows": rows}).status_code == 200
    assert SalesDay.objects.get(product=product).units == 1
