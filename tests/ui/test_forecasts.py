"""Forecast pages: run history, accuracy vs seasonal naive, start button, progress JSON, product fan."""
from datetime import timedelta

import pytest
from django.urls import reverse

fmodels = pytest.importorskip("forecasting.models")
from forecasting.ml.base import QUANTILE_NAMES  # noqa: E402

pytestmark = pytest.mark.django_db


def _run(status="succeeded", current=False, model="global_tide", wrmsse=0.8, naive=1.0, **kw):
    metrics = {"wrmsse": wrmsse, "seasonal_naive_wrmsse": naive, "coverage_80": 0.79, "mase": 0.9,
               "per_class": {"smooth": {"series": 3, "rmsse": 0.7}, "lumpy": {"series": 2, "rmsse": 1.1}}}
    return fmodels.ForecastRun.objects.create(status=status, model_name=model, is_current=current, metrics=metrics,
                                              n_shards=4, **kw)


@pytest.fixture
def forecast(shop):
    run = _run(current=True)
    start = shop["end"] + timedelta(days=1)
    rows = []
    for i in range(14):
        q = {name: 5.0 + int(name[1:]) / 10 for name in QUANTILE_NAMES}  # p10=6, p50=10, p90=14
        rows.append(fmodels.Forecast(run=run, product=shop["mug"], warehouse=shop["warehouse"],
                                     date=start + timedelta(days=i), mean=10.0, demand_class="smooth",
                                     explanation={"level": 8.0, "calendar": 1.5, "price": -0.5, "promotion": 1.0}, **q))
    fmodels.Forecast.objects.bulk_create(rows)
    return run


def test_dashboard_shows_accuracy_against_seasonal_naive(viewer_client, forecast):
    page = viewer_client.get(reverse("home")).content.decode()
    assert 'data-figure="accuracy">0.800<' in page
    assert "seasonal naive 1.000" in page and "0.80× naive" in page
    assert reverse("ui:run", args=[forecast.pk]) in page


def test_product_page_draws_the_fan_and_explains_it(viewer_client, forecast, shop):
    response = viewer_client.get(reverse("ui:product", args=["MUG-1"]))
    chart = response.context["chart"]["forecast"]
    assert chart["p10"][0] == 6.0 and chart["p50"][0] == 10.0 and chart["p90"][0] == 14.0
    assert len(chart["dates"]) == 14
    page = response.content.decode()
    assert "Seasonality and calendar" in page and "+1.50 units a day" in page
    assert "the forecast&#x27;s p50" in page or "the forecast's p50" in page


def test_runs_page_lists_runs_accuracy_and_class_history(viewer_client, forecast):
    running = _run(status="running", shards_done=1)
    page = viewer_client.get(reverse("ui:runs")).content.decode()
    assert 'id="accuracy-table"' in page and "0.80×" in page
    assert 'id="class-table"' in page and 'id="class-chart"' not in page  # one run: a table, no chart yet
    _run(wrmsse=0.7)
    assert 'id="class-chart"' in viewer_client.get(reverse("ui:runs")).content.decode()
    assert reverse("ui:run-progress", args=[running.pk]) in page
    assert "1 of 4 shards" in page and "progress.js" in page  # a running run is polled
    assert "Start a forecast run" not in page  # viewers cannot start runs


def test_progress_json(viewer_client, db):
    run = _run(status="running", shards_done=3)
    data = viewer_client.get(reverse("ui:run-progress", args=[run.pk])).json()
    assert data["progress"] == 0.75 and data["finished"] is False and data["status"] == "running"


def test_run_detail(viewer_client, forecast):
    page = viewer_client.get(reverse("ui:run", args=[forecast.pk])).content.decode()
    assert "wrmsse" in page and "lumpy" in page


def test_viewer_cannot_start_a_run(viewer_client, db):
    assert viewer_client.post(reverse("ui:run-start"), {"model": "naive", "horizon": 7}).status_code == 403
    assert not fmodels.ForecastRun.objects.exists()


def test_planner_start_checks_input(planner_client, db):
    response = planner_client.post(reverse("ui:run-start"), {"model": "nope", "horizon": 7}, follow=True)
    assert "Unknown model" in response.content.decode()
    response = planner_client.post(reverse("ui:run-start"), {"model": "naive", "horizon": 999}, follow=True)
    assert "between 1 and 365" in response.content.decode()
    assert not fmodels.ForecastRun.objects.exists()


def test_planner_starts_a_baseline_run(planner_client, shop, monkeypatch, settings):
    # Run the task chain in-process even where CI points Celery at Redis (no worker here),
    # and inside the request so that the test can look at the result.
    from inventory_site.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.STOCKCAST_UI_INLINE_TASKS = True
    response = planner_client.post(reverse("ui:run-start"), {"model": "seasonal_naive", "horizon": 7}, follow=True)
    assert "Forecast run requested" in response.content.decode()
    run = fmodels.ForecastRun.objects.get()
    assert run.model_name == "seasonal_naive" and run.horizon == 7
    assert run.status == "succeeded", run.error


def test_eager_work_runs_in_a_thread_so_the_caller_returns(monkeypatch, settings):
    """Embedded default: starting long work returns at once; the task finishes in the background."""
    import threading

    from staff import background
    from inventory_site.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.STOCKCAST_UI_INLINE_TASKS = False
    release, calls = threading.Event(), []

    class SlowTask:
        name = "test.slow"

        def __init__(self):
            self.app = app

        def apply(self, kwargs, throw):
            calls.append(kwargs)
            release.wait(5)

    thread = background.start(SlowTask(), model="naive")
    assert isinstance(thread, threading.Thread) and thread.is_alive()  # the caller was not held
    release.set()
    thread.join(5)
    assert calls == [{"model": "naive"}] and not thread.is_alive()


def test_unreachable_queue_is_reported_not_a_500(planner_client, db, monkeypatch):
    from kombu.exceptions import OperationalError

    from inventory_site.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)  # as with a real broker

    class DownTask:  # what run_forecast.delay() does while Redis is down
        name = "test.down"

        def __init__(self):
            self.app = app

        def delay(self, **kwargs):
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("staff.runs.run_forecast", DownTask())
    response = planner_client.post(reverse("ui:run-start"), {"model": "naive", "horizon": 7}, follow=True)
    assert response.status_code == 200
    assert "The run was not started: the task queue cannot be reached" in response.content.decode()


def test_accuracy_figures_carry_their_meaning(viewer_client, db):
    run = _run()
    run.metrics = {**run.metrics, "mae_vs_seasonal_naive": 0.83, "mase": 6.612,
                   "decision_calibration": {"smooth": {"7": 1.2}}}
    run.save(update_fields=["metrics"])
    runs_page = viewer_client.get(reverse("ui:runs")).content.decode()
    assert "MAE ÷ seasonal naive" in runs_page and ">0.830<" in runs_page
    assert "6.612" not in runs_page  # one-step MASE is not shown as if it were a ratio
    detail = viewer_client.get(reverse("ui:run", args=[run.pk])).content.decode()
    assert "6.612" in detail and "not &#x27;6 times worse&#x27;" in detail
    assert "1.0 = as good as a naive forecast" in detail
    assert "decision_calibration" not in detail  # a nested table is not a figure
