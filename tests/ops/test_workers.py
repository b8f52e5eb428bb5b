"""Several machines: two real worker processes share one PostgreSQL and one Redis; a forecast
run's shards spread over both; a replenishment run split by warehouse spreads over both and
writes what one process writes; a worker killed mid-run leaves the previous forecasts current;
a shard delivered twice does no double work."""
import os
import signal
from datetime import date

import pytest

from forecasting import services as forecast_services
from forecasting.models import Forecast, ForecastRun, ModelVersion
from forecasting.tasks import predict_shard, run_forecast
from inventory import services as inventory_services
from replenishment import services as replenishment_services
from replenishment.models import ReorderSuggestion
from replenishment.tasks import run_replenishment
from tests.workers import celery_worker, clear_broker, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _finished(run_id):
    run = ForecastRun.objects.get(pk=run_id)
    return run if run.status in (ForecastRun.Status.SUCCEEDED, ForecastRun.Status.FAILED) else None


def test_shards_of_one_run_spread_over_two_workers(small_history, tmp_path):
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    with celery_worker(log_a, "alpha"), celery_worker(log_b, "beta"):
        run_id = run_forecast.delay(model="seasonal_naive", horizon=14, shards=8).get(timeout=60)
        run = wait_for(lambda: _finished(run_id), 180, "the run did not finish within 180 s")
    assert run.status == ForecastRun.Status.SUCCEEDED, run.error
    assert run.is_current and Forecast.objects.filter(run=run).count() == 16 * 14
    shards_a = log_a.read_text().count("forecasting.tasks.predict_shard[")
    shards_b = log_b.read_text().count("forecasting.tasks.predict_shard[")
    assert shards_a > 0 and shards_b > 0, f"shards not spread: alpha saw {shards_a}, beta saw {shards_b}"


def _suggestions(status):
    return sorted(ReorderSuggestion.objects.filter(status=status).values_list(
        "product_id", "warehouse_id", "quantity", "target_level", "expected_cost", "method", "order_by", "explanation"))


def test_replenishment_split_by_warehouse_over_two_workers_equals_one_process(small_history, tmp_path):
    products, warehouses = small_history
    for product in products:
        for warehouse in warehouses:
            inventory_services.receive(product, warehouse, 3)
    as_of = date(2024, 5, 29)  # the history's last day
    single = replenishment_services.run_replenishment(as_of=as_of)
    assert {s.warehouse_id for s in single} == {w.pk for w in warehouses}
    expected = _suggestions(ReorderSuggestion.Status.PENDING)
    log_a, log_b = tmp_path / "a.log", tmp_path / "b.log"
    with celery_worker(log_a, "alpha"), celery_worker(log_b, "beta"):
        queued = run_replenishment.delay(as_of=as_of.isoformat(), shards=2).get(timeout=60)
        assert queued["shards"] == 2
        wait_for(lambda: ReorderSuggestion.objects.filter(status=ReorderSuggestion.Status.SUPERSEDED).count()
                 == len(expected), 120, "the shards did not supersede the single run's suggestions within 120 s")
    assert _suggestions(ReorderSuggestion.Status.PENDING) == expected  # the same decisions, to the cent
    took = [log.read_text().count("replenishment.tasks.replenish_shard[") for log in (log_a, log_b)]
    assert all(took), f"shards not spread: alpha saw {took[0]}, beta saw {took[1]}"


def test_worker_killed_mid_run_leaves_previous_forecasts_current(small_history, tmp_path):
    # A first, complete run (in-process) gives the forecasts that must stay current.
    previous = forecast_services.create_run("seasonal_naive", 14, 2, {})
    forecast_services.train(previous)
    for shard in range(2):
        forecast_services.predict_shard(ForecastRun.objects.get(pk=previous.pk), shard, 2)
    forecast_services.finalize(ForecastRun.objects.get(pk=previous.pk))
    rows_before = Forecast.objects.filter(run=previous).count()

    with celery_worker(tmp_path / "victim.log", "victim") as worker:
        run_id = run_forecast.delay(
            model="global_tide", horizon=14, shards=2,
            options={"use_text": False, "train": {"max_epochs": 200, "patience": 200, "max_seconds": 600}},
        ).get(timeout=60)
        wait_for(lambda: ForecastRun.objects.get(pk=run_id).status == ForecastRun.Status.RUNNING, 120,
                 "training did not start")
        os.kill(worker.pid, signal.SIGKILL)  # the machine dies mid-training
        worker.wait()

    killed = ForecastRun.objects.get(pk=run_id)
    assert not killed.is_current and killed.status == ForecastRun.Status.RUNNING
    current = ForecastRun.objects.get(is_current=True)
    assert current.pk == previous.pk and Forecast.objects.filter(run=previous).count() == rows_before
    # The nightly sweep marks the lost run failed, with its partial rows gone.
    assert forecast_services.mark_stale_runs(max_hours=0) >= 1
    killed.refresh_from_db()
    assert killed.status == ForecastRun.Status.FAILED and not Forecast.objects.filter(run=killed).exists()
    assert ForecastRun.objects.get(is_current=True).pk == previous.pk


def test_a_shard_delivered_twice_writes_its_rows_once(small_history, settings):
    run = forecast_services.create_run("seasonal_naive", 14, 2, {})
    forecast_services.train(run)
    predict_shard.apply(args=(run.pk, 0, 2))
    first = sorted(Forecast.objects.filter(run=run).values_list("product_id", "warehouse_id", "date", "p50"))
    predict_shard.apply(args=(run.pk, 0, 2))  # acks_late redelivery after a lost acknowledgement
    again = sorted(Forecast.objects.filter(run=run).values_list("product_id", "warehouse_id", "date", "p50"))
    assert again == first and len(first) == 8 * 14


def test_training_redelivered_after_its_worker_died_writes_one_model_version(small_history, tmp_path):
    """acks_late: the killed worker's train task goes to the next worker, which finishes the run
    with exactly one ModelVersion. The visibility timeout is short here so the test need not wait
    hours (in production it is longer than the longest task), but longer than any task of this
    run takes on a busy machine: a task still running past it would be handed out a second time."""
    clear_broker()  # tasks other tests left (waiting, or unacknowledged by killed workers) must not land here
    short = {"CELERY_VISIBILITY_TIMEOUT": "45"}
    options = {"use_text": False, "train": {"max_epochs": 200, "patience": 200, "max_seconds": 12}}
    with celery_worker(tmp_path / "victim.log", "victim", extra_env=short) as worker:
        run_id = run_forecast.delay(model="global_tide", horizon=14, shards=2, options=options).get(timeout=60)
        wait_for(lambda: "train_model" in (tmp_path / "victim.log").read_text(), 120, "training did not start")
        os.kill(worker.pid, signal.SIGKILL)  # the machine dies mid-training
        worker.wait()
    assert ForecastRun.objects.get(pk=run_id).model_version_id is None
    with celery_worker(tmp_path / "heir.log", "heir", extra_env=short):
        run = wait_for(lambda: _finished(run_id), 300, "the redelivered run did not finish within 300 s")
    assert run.status == ForecastRun.Status.SUCCEEDED, run.error
    assert "forecasting.tasks.train_model[" in (tmp_path / "heir.log").read_text()
    assert ModelVersion.objects.count() == 1 and run.model_version_id == ModelVersion.objects.get().pk
