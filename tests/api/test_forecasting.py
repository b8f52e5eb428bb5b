"""Forecast runs (202 + poll, 503 without a broker), stored forecasts, the live forecast, model versions."""
from datetime import date, timedelta

import numpy as np
import pytest

from forecasting.api import live
from forecasting.models import ForecastRun
from inventory.models import SalesDay
from tests.factories import make_category, make_product, make_warehouse

pytestmark = pytest.mark.django_db
H = 7
FAST = {"train": {"max_epochs": 1, "batches_per_epoch": 2, "batch_size": 32, "device": "cpu"},
        "use_text": False}
END = date(2024, 6, 30)


@pytest.fixture
def sales(eager_tasks):
    rng = np.random.default_rng(0)
    category = make_category(code="PASTA")
    warehouses = [make_warehouse(code="FW1"), make_warehouse(code="FW2")]
    products = [make_product(sku=f"FP{i}", name=f"Spaghetti no {i}", category=category) for i in range(2)]
    SalesDay.objects.bulk_create(
        SalesDay(product=p, warehouse=w, date=END - timedelta(days=89 - d), units=int(rng.poisson(3)),
                 avg_price="2.50")
        for p in products for w in warehouses for d in range(90)
    )
    return products, warehouses


def start(client, model):
    response = client.post("/api/v1/forecast-runs/", {"model": model, "horizon": H, "shards": 2, "options": FAST},
                           format="json")
    assert response.status_code == 202, response.json()
    return response


@pytest.fixture
def finished_run(sales, planner_client):
    return start(planner_client, "seasonal_naive")  # a baseline: no training, so the test stays fast


def test_start_run_is_202_with_run_and_task_ids_then_poll(finished_run, viewer_client):
    body = finished_run.json()
    assert body["run_id"] and body["task_id"]
    assert finished_run["Location"].endswith(f"/api/v1/forecast-runs/{body['run_id']}/")
    run = viewer_client.get(f"/api/v1/forecast-runs/{body['run_id']}/").json()  # eager: already done
    assert run["status"] == "succeeded" and run["is_current"], run["error"]
    assert run["horizon"] == H and run["model_name"] == "seasonal_naive"


def test_forecasts_by_product_warehouse_and_dates(finished_run, viewer_client):
    rows = viewer_client.get("/api/v1/forecasts/?product=FP0&warehouse=FW1").json()["results"]
    assert [r["date"] for r in rows] == [str(END + timedelta(days=i + 1)) for i in range(H)]
    quantiles = list(rows[0]["quantiles"].values())
    assert quantiles == sorted(quantiles) and set(rows[0]["quantiles"]) >= {"p10", "p50", "p90"}
    window = viewer_client.get(f"/api/v1/forecasts/?product=FP0&warehouse=FW1&date_from={END + timedelta(days=2)}"
                               f"&date_to={END + timedelta(days=3)}").json()
    assert window["count"] == 2


def test_global_model_versions_and_the_live_forecast(sales, planner_client, viewer_client,
                                                      django_assert_max_num_queries):
    """One (small) global-model run serves all the model checks: training is the slow part."""
    live._cache.clear()
    start(planner_client, "global_tide")
    versions = viewer_client.get("/api/v1/model-versions/").json()["results"]
    assert len(versions) == 1 and "weights" not in versions[0]
    detail = viewer_client.get(f"/api/v1/model-versions/{versions[0]['id']}/").json()
    assert detail["size_bytes"] > 1000 and "config" in detail and isinstance(detail["metrics"], dict)

    url = f"/api/v1/forecasts/live/?product=FP0&warehouse=FW1&horizon={H}"
    first = viewer_client.get(url).json()
    assert first["horizon"] == H and len(first["days"]) == H and first["as_of"] == str(END)
    assert first["model_version"] == versions[0]["id"]
    assert live.loaded_versions() == [first["model_version"]]
    quantiles = list(first["days"][0]["quantiles"].values())
    assert quantiles == sorted(quantiles)
    # A sale pushed now (the day after the history) moves as_of and the forecast origin.
    products, warehouses = sales
    SalesDay.objects.create(product=products[0], warehouse=warehouses[0], date=END + timedelta(days=1), units=40)
    with django_assert_max_num_queries(12):  # and the model's weights are not read again
        second = viewer_client.get(url).json()
    assert second["as_of"] == str(END + timedelta(days=1))
    assert second["days"][0]["date"] == str(END + timedelta(days=2))


def test_live_forecast_errors(sales, viewer_client):
    live._cache.clear()
    assert viewer_client.get("/api/v1/forecasts/live/?product=FP0&warehouse=FW1").status_code == 422  # no model
    missing = viewer_client.get("/api/v1/forecasts/live/?horizon=0").json()["error"]["fields"]
    assert set(missing) == {"product", "warehouse", "horizon"}
    unknown = viewer_client.get("/api/v1/forecasts/live/?product=NOPE&warehouse=FW1")
    assert unknown.status_code == 400 and "product" in unknown.json()["error"]["fields"]


def test_run_validation_and_roles(sales, viewer_client, planner_client):
    assert viewer_client.post("/api/v1/forecast-runs/", {}, format="json").status_code == 403
    bad = planner_client.post("/api/v1/forecast-runs/", {"model": "prophet", "horizon": 0}, format="json")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"model", "horizon"}


def test_no_sales_history_is_422(planner_client):
    response = planner_client.post("/api/v1/forecast-runs/", {"model": "naive", "horizon": 7}, format="json")
    assert response.status_code == 422 and response.json()["error"]["code"] == "cannot_forecast"


def test_broker_down_is_503_and_starts_nothing(sales, planner_client, monkeypatch):
    from inventory_site.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its own setting (CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.update(task_always_eager=False, broker_url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        response = planner_client.post("/api/v1/forecast-runs/", {"model": "naive", "horizon": 7}, format="json")
    finally:
        app.conf.update(saved)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "broker_unavailable"
    assert not ForecastRun.objects.exists()


def test_product_detail_carries_stock_and_current_forecast(finished_run, viewer_client,
                                                          django_assert_max_num_queries):
    from inventory import services
    from inventory.models import Product, Warehouse

    product = Product.objects.get(sku="FP0")
    services.receive(product, Warehouse.objects.get(code="FW1"), 5)
    with django_assert_max_num_queries(5):  # token+user, product, stock, current run, forecast rows
        body = viewer_client.get(f"/api/v1/products/{product.pk}/").json()
    assert body["stock"] == [{"warehouse": "FW1", "on_hand": 5, "reserved": 0, "available": 5}]
    assert body["forecast_run"] == finished_run.json()["run_id"]
    assert len(body["forecast"]) == 2 * H and {r["warehouse"] for r in body["forecast"]} == {"FW1", "FW2"}


@pytest.mark.redis
def test_the_real_broker_is_seen_as_reachable():
    from forecasting.api.views import broker_is_reachable
    from inventory_site.celery import app

    assert not app.conf.task_always_eager
    assert broker_is_reachable()
