"""Stock levels (read, filters, no N+1), the ledger through the API, Idempotency-Key, transfers."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory import services
from inventory.purchasing import services as purchasing
from inventory.models import StockLevel, StockMovement
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db


def _stock(n, warehouse=None):
    warehouse = warehouse or make_warehouse()
    for _ in range(n):
        services.receive(make_product(), warehouse, 10)
    return warehouse


def test_stock_levels_show_available_and_on_order(viewer_client):
    warehouse, product = make_warehouse(code="WS"), make_product(sku="ST-1")
    services.receive(product, warehouse, 20)
    services.reserve_stock(product, warehouse, 5)
    order = purchasing.create_purchase_order(supplier=make_supplier(), warehouse=warehouse,
                                           lines=[purchasing.OrderLineRequest(product, 30)])
    purchasing.approve_purchase_order(order)
    row = viewer_client.get("/api/v1/stock-levels/?warehouse=WS&product=ST-1").json()["results"][0]
    assert (row["on_hand"], row["reserved"], row["available"], row["on_order"]) == (20, 5, 15, 30)
    assert row["sku"] == "ST-1" and row["warehouse"] == "WS"


def test_stock_level_filters_out_of_stock(viewer_client):
    warehouse = make_warehouse(code="WF")
    empty, full = make_product(sku="E"), make_product(sku="F")
    services.receive(full, warehouse, 3)
    services.receive(empty, warehouse, 3)
    services.sell(empty, warehouse, 3)
    skus = [r["sku"] for r in viewer_client.get("/api/v1/stock-levels/?out_of_stock=true").json()["results"]]
    assert skus == ["E"]


def test_stock_list_rows_equal_the_serializer(viewer_client):
    """The list's values() fast path gives, field for field, what StockLevelSerializer gives
    (the detail view and the OpenAPI schema still use the serializer)."""
    from inventory.api.serializers import StockLevelSerializer
    from inventory.api.views import stock_levels_queryset
    from tests.api.test_replenishment import suggest

    warehouse = make_warehouse(code="WQ")
    for n, sku in enumerate(["Q-1", "Q-2", "Q-3"]):
        product = make_product(sku=sku, name=f"Quince {n} \u00e9\"'")
        services.receive(product, warehouse, 10 + n)
    services.reserve_stock(StockLevel.objects.get(product__sku="Q-2").product, warehouse, 4)
    order = purchasing.create_purchase_order(supplier=make_supplier(), warehouse=warehouse,
                                           lines=[purchasing.OrderLineRequest(StockLevel.objects.get(product__sku="Q-3").product, 7)])
    purchasing.approve_purchase_order(order)
    suggest(StockLevel.objects.get(product__sku="Q-1").product, warehouse, target=12.5)
    listed = viewer_client.get("/api/v1/stock-levels/?warehouse=WQ").json()["results"]
    expected = StockLevelSerializer(stock_levels_queryset().filter(warehouse=warehouse)
                                    .order_by("warehouse__code", "product__sku"), many=True).data
    assert listed == [dict(row) for row in expected]
    assert [r["on_order"] for r in listed] == [0, 0, 7] and listed[1]["available"] == 11 - 4
    assert [r["reorder_point"] for r in listed] == [12.5, None, None]


def _varied_stock():
    """Two warehouses, distinct on-hand figures, open orders and a reorder point."""
    from tests.api.test_replenishment import suggest

    supplier = make_supplier()
    for code in ("WB", "WA"):
        warehouse = make_warehouse(code=code)
        for n in range(4):
            product = make_product(sku=f"{code}-{n}", name=f"Item {n} \u00e9")
            services.receive(product, warehouse, 10 * n + (3 if code == "WB" else 1))
            if n == 2:
                order = purchasing.create_purchase_order(supplier=supplier, warehouse=warehouse,
                                                       lines=[purchasing.OrderLineRequest(product, 5)])
                purchasing.approve_purchase_order(order)
            if n == 1:
                suggest(product, warehouse, target=7.5)


@pytest.mark.postgres
@pytest.mark.parametrize("ordering", [None, "-on_hand", "on_order,-id", "updated_at"])
def test_unfiltered_stock_pages_come_from_the_compiled_statement_and_equal_the_serializer(viewer_client, ordering):
    """PostgreSQL: an unfiltered list runs the SQL compiled once per ordering (and PREPAREd);
    every page, whatever the ordering, holds what the serializer gives for the ORM's queryset."""
    from inventory.api import views
    from inventory.api.serializers import StockLevelSerializer

    _varied_stock()
    query = f"&ordering={ordering}" if ordering else ""
    pages, url = [], f"/api/v1/stock-levels/?page_size=3{query}"
    while url:
        body = viewer_client.get(url).json()
        assert body["count"] == 8
        pages.extend(body["results"])
        url = body["next"]
    order = ordering.split(",") if ordering else ["warehouse__code", "product__sku"]
    expected = StockLevelSerializer(views.stock_levels_queryset().order_by(*order), many=True).data
    assert pages == [dict(row) for row in expected]
    assert any(key == tuple(order) for key in views._compiled_stock_pages)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'stockcast_page_%%'")
        assert cursor.fetchone()[0] >= 1
    past_the_end = viewer_client.get(f"/api/v1/stock-levels/?page_size=3&page=4{query}")
    assert past_the_end.status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_compiled_stock_page_is_prepared_again_on_a_new_connection(viewer_client):
    """A reconnect (CONN_MAX_AGE, a database restart) loses the session's prepared statements;
    the next request prepares it again instead of failing."""
    _varied_stock()
    first = viewer_client.get("/api/v1/stock-levels/").json()
    connection.close()
    second = viewer_client.get("/api/v1/stock-levels/")
    assert second.status_code == 200 and second.json() == first


@pytest.mark.postgres
def test_compiled_stock_page_without_prepared_statements(viewer_client, settings):
    """DATABASE_PREPARED_STATEMENTS=0 (PgBouncer in transaction mode): the same rows, nothing
    prepared on the server."""
    settings.DATABASE_PREPARED_STATEMENTS = False
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    _varied_stock()
    body = viewer_client.get("/api/v1/stock-levels/?ordering=-on_hand").json()
    assert [row["on_hand"] for row in body["results"]] == sorted((row["on_hand"] for row in body["results"]), reverse=True)
    assert body["count"] == 8
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] == 0
    connection.stockcast_prepared = set()  # DEALLOCATE ALL dropped what this connection had


def test_compiled_page_query_refuses_sliced_or_unordered_querysets():
    from inventory.api.compiled_query import CompiledPageQuery

    with pytest.raises(ValueError, match="before slicing"):
        CompiledPageQuery(StockLevel.objects.order_by("id").values("id")[:5])
    with pytest.raises(ValueError, match="unordered"):
        CompiledPageQuery(StockLevel.objects.order_by().values("id"))


@pytest.mark.parametrize("size", [5, 50])
def test_stock_list_costs_constant_queries(viewer_client, size, django_assert_num_queries):
    """No N+1: a page of 5 and a page of 50 cost the same number of queries (auth + page)."""
    _stock(size)
    viewer_client.get("/api/v1/stock-levels/?page_size=1")  # PostgreSQL: the connection PREPAREs the page once
    # the token with its user (one join), the page with its total: reads never ask for the user's roles
    with django_assert_num_queries(2):
        response = viewer_client.get(f"/api/v1/stock-levels/?page_size={size}")
    assert len(response.json()["results"]) == size


def test_query_count_does_not_grow_with_page_size_for_orders_and_movements(viewer_client):
    warehouse, supplier = make_warehouse(), make_supplier()
    for _ in range(12):
        products = [make_product(), make_product()]
        purchasing.create_purchase_order(supplier=supplier, warehouse=warehouse,
                                       lines=[purchasing.OrderLineRequest(p, 5) for p in products])
        services.receive(products[0], warehouse, 1)
    counts = {}
    for path in ("/api/v1/purchase-orders/", "/api/v1/stock-movements/", "/api/v1/products/"):
        per_size = []
        for size in (2, 10):
            with CaptureQueriesContext(connection) as queries:
                assert viewer_client.get(f"{path}?page_size={size}").status_code == 200
            per_size.append(len(queries))
        counts[path] = per_size
    assert all(small == large for small, large in counts.values()), counts


def test_movement_create_goes_through_the_ledger(planner_client):
    product, warehouse = make_product(sku="M-1"), make_warehouse(code="WM")
    response = planner_client.post("/api/v1/stock-movements/", {
        "product": "M-1", "warehouse": "WM", "kind": "receipt", "quantity": 12, "reference": "delivery 7"},
        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["quantity"] == 12 and body["balance_after"] == 12 and body["product"] == "M-1"
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 12
    sale = planner_client.post("/api/v1/stock-movements/", {
        "product": "M-1", "warehouse": "WM", "kind": "sale", "quantity": 5}, format="json")
    assert sale.json()["quantity"] == -5 and sale.json()["balance_after"] == 7


def test_same_idempotency_key_twice_moves_stock_once(planner_client):
    product, warehouse = make_product(sku="I-1"), make_warehouse(code="WI")
    payload = {"product": "I-1", "warehouse": "WI", "kind": "receipt", "quantity": 9}
    headers = {"HTTP_IDEMPOTENCY_KEY": "delivery-2026-11-29-001"}
    first = planner_client.post("/api/v1/stock-movements/", payload, format="json", **headers)
    second = planner_client.post("/api/v1/stock-movements/", payload, format="json", **headers)
    assert first.status_code == 201 and second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    assert StockMovement.objects.filter(product=product).count() == 1
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 9


def test_same_key_with_a_different_request_is_a_conflict(planner_client):
    make_product(sku="I-2"), make_warehouse(code="WJ")
    headers = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    payload = {"product": "I-2", "warehouse": "WJ", "kind": "receipt", "quantity": 9}
    assert planner_client.post("/api/v1/stock-movements/", payload, format="json", **headers).status_code == 201
    payload["quantity"] = 10
    response = planner_client.post("/api/v1/stock-movements/", payload, format="json", **headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"


def test_selling_more_than_available_is_409_with_the_numbers(planner_client):
    product, warehouse = make_product(sku="X-1"), make_warehouse(code="WX")
    services.receive(product, warehouse, 2)
    response = planner_client.post("/api/v1/stock-movements/", {
        "product": "X-1", "warehouse": "WX", "kind": "sale", "quantity": 3}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock" and error["fields"]["available"] == 2
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 2


def test_zero_adjustment_and_transfer_kind_are_rejected(planner_client):
    make_product(sku="Z-1"), make_warehouse(code="WZ")
    zero = planner_client.post("/api/v1/stock-movements/", {
        "product": "Z-1", "warehouse": "WZ", "kind": "adjustment", "quantity": 0}, format="json")
    assert zero.status_code == 400 and zero.json()["error"]["code"] == "invalid_quantity"
    transfer = planner_client.post("/api/v1/stock-movements/", {
        "product": "Z-1", "warehouse": "WZ", "kind": "transfer_in", "quantity": 1}, format="json")
    assert transfer.status_code == 400 and "kind" in transfer.json()["error"]["fields"]


def test_transfer_moves_both_sides_and_is_idempotent(planner_client):
    product, a, b = make_product(sku="T-1"), make_warehouse(code="TA"), make_warehouse(code="TB")
    services.receive(product, a, 10)
    payload = {"product": "T-1", "source": "TA", "destination": "TB", "quantity": 4}
    first = planner_client.post("/api/v1/stock-movements/transfer/", payload, format="json",
                                HTTP_IDEMPOTENCY_KEY="t-1")
    again = planner_client.post("/api/v1/stock-movements/transfer/", payload, format="json",
                                HTTP_IDEMPOTENCY_KEY="t-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["out"]["quantity"] == -4 and first.json()["into"]["quantity"] == 4
    levels = {lvl.warehouse.code: lvl.on_hand for lvl in StockLevel.objects.filter(product=product)}
    assert levels == {"TA": 6, "TB": 4}


def test_movements_cannot_be_changed_or_deleted(planner_client, admin_client_api):
    product, warehouse = make_product(), make_warehouse()
    movement = services.receive(product, warehouse, 1)
    for client in (planner_client, admin_client_api):
        assert client.delete(f"/api/v1/stock-movements/{movement.pk}/").status_code == 405
        assert client.patch(f"/api/v1/stock-movements/{movement.pk}/", {"quantity": 5},
                            format="json").status_code == 405


def test_movement_list_filters(viewer_client):
    product, warehouse = make_product(sku="L-1"), make_warehouse(code="WL")
    services.receive(product, warehouse, 5)
    services.sell(product, warehouse, 2)
    services.receive(make_product(), warehouse, 1)
    rows = viewer_client.get("/api/v1/stock-movements/?product=L-1&kind=sale").json()["results"]
    assert [(r["kind"], r["quantity"]) for r in rows] == [("sale", -2)]


def test_stock_list_pages_count_and_refuse_past_the_end(viewer_client):
    """The total comes from the page query (a window count); it must still be the filtered total,
    pages must link up, and a page past the end must be a 404 (it falls back to COUNT)."""
    _stock(7, make_warehouse(code="PA"))
    _stock(3, make_warehouse(code="PB"))
    first = viewer_client.get("/api/v1/stock-levels/?warehouse=PA&page_size=3").json()
    assert first["count"] == 7 and len(first["results"]) == 3 and first["previous"] is None and "page=2" in first["next"]
    last = viewer_client.get("/api/v1/stock-levels/?warehouse=PA&page_size=3&page=3").json()
    assert last["count"] == 7 and len(last["results"]) == 1 and last["next"] is None
    assert viewer_client.get("/api/v1/stock-levels/?warehouse=PA&page_size=3&page=last").json()["results"] == last["results"]
    assert viewer_client.get("/api/v1/stock-levels/?warehouse=PA&page_size=3&page=4").status_code == 404
    assert viewer_client.get("/api/v1/stock-levels/?warehouse=PA&page=0").status_code == 404
    assert viewer_client.get("/api/v1/stock-levels/?warehouse=PA&page=x").status_code == 404
    assert viewer_client.get("/api/v1/stock-levels/?page_size=500").json()["count"] == 10
    empty = viewer_client.get("/api/v1/stock-levels/?warehouse=NONE").json()
    assert empty["count"] == 0 and empty["results"] == []
    ordered = viewer_client.get("/api/v1/stock-levels/?ordering=-on_hand&page_size=2").json()
    assert ordered["count"] == 10
