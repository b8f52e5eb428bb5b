"""Forecast runs under redelivery, dead workers and hostile options (issue 18, findings 6 and 7)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from forecasting import services, tasks
from forecasting.models import Forecast, ForecastRun, ModelVersion
from tests.api.conftest import client_for, make_user
from tests.forecasting.test_django_forecast import FAST, H, catalogue  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery", "one_torch_thread")]


def test_a_redelivered_train_task_writes_no_second_version(catalogue):  # noqa: F811
    run = services.create_run("global_tide", H, 2, FAST)
    first = tasks.train_model(run.pk)
    again = tasks.train_model(run.pk)  # the broker handed the same task out again
    assert first == again and ModelVersion.objects.count() == 1


def test_a_redelivered_shard_counts_once(catalogue):  # noqa: F811
    run = services.create_run("seasonal_naive", H, 2, {})
    tasks.train_model(run.pk)
    tasks.predict_shard(run.pk, 0, 2)
    tasks.predict_shard(run.pk, 0, 2)  # redelivered
    run.refresh_from_db()
    assert run.shards_done == 1
    tasks.predict_shard(run.pk, 1, 2)
    run.refresh_from_db()
    assert run.shards_done == 2
    assert tasks.finalize_run(run_id=run.pk) == "succeeded"
    assert Forecast.objects.filter(run=run).count() == run.n_series * H


def test_one_run_at_a_time(catalogue):  # noqa: F811
    first = services.create_run("seasonal_naive", H, 1, {})
    with pytest.raises(services.RunInProgress, match=f"run {first.pk} is still queued"):
        services.create_run("seasonal_naive", H, 1, {})


def test_a_running_run_whose_heartbeat_stopped_is_failed_within_minutes(catalogue):  # noqa: F811
    run = services.create_run("seasonal_naive", H, 1, {})
    services.start(run)
    ForecastRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(minutes=20),
                                                 heartbeat_at=timezone.now() - timedelta(minutes=6))
    assert services.mark_stale_runs() == 1  # long before the 12 hours of the old rule
    run.refresh_from_db()
    assert run.status == "failed" and "no sign of life" in run.error
    alive = services.create_run("seasonal_naive", H, 1, {})  # the catalogue is free again
    services.start(alive)
    assert services.mark_stale_runs() == 0


@pytest.mark.parametrize("train, named", [
    ({"batch_size": 10**9}, "batch_size"), ({"max_epochs": 10**6}, "max_epochs"),
    ({"max_seconds": 10**9}, "max_seconds"), ({"device": "cuda:7; rm -rf"}, "device"),
    ({"lr": "fast"}, "lr"), ({"no_such_thing": 1}, "no_such_thing"),
])
def test_training_options_are_bounded(catalogue, train, named):  # noqa: F811
    with pytest.raises(services.ForecastError, match=f"options.train.{named}"):
        services.create_run("global_tide", H, 1, {"train": train})
    assert not ForecastRun.objects.exists()


def test_the_api_answers_409_and_422(catalogue, django_user_model):  # noqa: F811
    client = client_for(make_user(django_user_model, "runner", "planner"))
    bad = client.post("/api/v1/forecast-runs/", {"model": "global_tide", "options": {"train": {"batch_size": 0}}},
                      format="json")
    assert bad.status_code == 422 and "batch_size" in bad.json()["error"]["message"]
    services.create_run("seasonal_naive", H, 1, {})
    busy = client.post("/api/v1/forecast-runs/", {"model": "seasonal_naive", "horizon": H}, format="json")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "run_in_progress"
