"""The forecasting app end to end on a tiny catalogue, with eager Celery tasks."""
from datetime import date, timedelta

import numpy as np
import pytest
from django.core.management import call_command

from forecasting import selectors, services, tasks
from forecasting.ml.explain import COMPONENTS
from forecasting.models import Forecast, ForecastRun, ModelVersion
from inventory.models import SalesDay, StockLevel
from tests.factories import make_category, make_product, make_warehouse

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery", "one_torch_thread")]
H = 7
FAST = {"train": {"max_epochs": 1, "batches_per_epoch": 2, "batch_size": 32, "device": "cpu"},
        "use_text": False}
END = date(2024, 6, 30)


@pytest.fixture
def catalogue():
    rng = np.random.default_rng(0)
    cat = make_category(code="PASTA")
    whs = [make_warehouse(code="W1"), make_warehouse(code="W2")]
    products = [make_product(sku=f"P{i}", name=f"Spaghetti no {i}", category=cat) for i in range(3)]
    rows = []
    for p in products:
        for w in whs:
            rate = rng.uniform(1, 6)
            for d in range(120):
                day = END - timedelta(days=119 - d)
                units = int(rng.poisson(rate * (1.5 if day.weekday() == 5 else 1.0)))
                rows.append(SalesDay(product=p, warehouse=w, date=day, units=units, avg_price="2.50",
                                     on_promotion=False))
    SalesDay.objects.bulk_create(rows)
    new = make_product(sku="NEW", name="Spaghetti wholegrain", category=cat)  # never sold: cold start
    StockLevel.objects.create(product=new, warehouse=whs[0], on_hand=10)
    return {"products": products, "warehouses": whs, "new": new}


def run(model="global_tide", shards=2, **extra):
    run_id = tasks.run_forecast(model, H, shards, {**FAST, **extra})
    return ForecastRun.objects.get(pk=run_id)


def test_run_succeeds_becomes_current_and_writes_every_row(catalogue):
    r = run()
    assert r.status == "succeeded" and r.is_current, r.error
    assert r.n_series == 7 and Forecast.objects.filter(run=r).count() == 7 * H
    assert r.as_of == END
    assert r.metrics["wrmsse"] is not None and "seasonal_naive_wrmsse" in r.metrics
    assert r.metrics["mae_vs_seasonal_naive"] > 0  # the relative MAE the runs page shows
    # the default is the mean of an unmasked and a stock-out-masked network; both are reported
    masking = r.metrics["stockout_masking"]
    assert masking["setting"] == "both" and [m["mask_stockouts"] for m in masking["members"]] == [False, True]
    assert all(m["validation"]["wrmsse"] > 0 for m in masking["members"])
    v = r.model_version
    assert v.config["train"]["mask_stockouts"] == "both"
    assert v is not None and v.size_bytes > 1000 and v.data_end == END and v.parent is None
    assert selectors.latest_model_version() == v
    rows = list(selectors.current_forecasts(product=catalogue["products"][0], warehouse=catalogue["warehouses"][0]))
    assert [f.date for f in rows] == [END + timedelta(days=i + 1) for i in range(H)]
    for f in rows:
        q = list(f.quantiles().values())
        assert q == sorted(q) and f.p01 >= 0
        assert sum(f.explanation[k] for k in COMPONENTS) == pytest.approx(f.mean, abs=1e-3)
        assert f.demand_class in ("smooth", "erratic", "intermittent", "lumpy")
    cold = list(selectors.current_forecasts(product=catalogue["new"]))
    assert len(cold) == H and all(f.mean > 0 for f in cold) and cold[0].demand_class == "no_demand"


def test_failed_run_is_marked_failed_and_previous_stays_current(catalogue, monkeypatch):
    good = run()
    real = services.predict_shard

    def dies_on_second_shard(run_, shard, n_shards, model=None):
        if shard == 1:
            raise RuntimeError("worker lost its GPU mid-way")
        return real(run_, shard, n_shards, model)

    monkeypatch.setattr(services, "predict_shard", dies_on_second_shard)
    with pytest.raises(RuntimeError, match="mid-way"):
        tasks.run_forecast("global_tide", H, 2, FAST)
    bad = ForecastRun.objects.exclude(pk=good.pk).get()
    assert bad.status == "failed" and "mid-way" in bad.error and not bad.is_current
    assert Forecast.objects.filter(run=bad).count() == 0  # partial shard rows removed
    good.refresh_from_db()
    assert good.is_current and selectors.current_run() == good
    assert selectors.current_forecasts().count() == 7 * H


def test_killed_run_stays_not_current_and_is_swept(catalogue):
    good = run(model="seasonal_naive")
    killed = services.create_run("global_tide", H, 2, FAST)
    services.start(killed)          # ... and the worker dies here
    assert selectors.current_run() == good
    assert services.mark_stale_runs(max_hours=0) == 1
    killed.refresh_from_db()
    assert killed.status == "failed" and "killed" in killed.error
    assert selectors.current_run() == good


def test_second_run_fine_tunes_the_latest_version(catalogue):
    first = run(explain=False)
    second = run(explain=False)
    assert second.is_current and not ForecastRun.objects.get(pk=first.pk).is_current
    assert second.model_version.parent_id == first.model_version_id
    assert ModelVersion.objects.count() == 2
    scratch = run(explain=False, start="scratch")
    assert scratch.model_version.parent_id is None and scratch.start == "scratch"


def test_baseline_run_and_management_command(catalogue):
    call_command("forecast", "--model", "tsb", "--horizon", str(H), "--shards", "3")
    r = ForecastRun.objects.get()
    assert r.status == "succeeded" and r.is_current and r.model_version is None
    assert Forecast.objects.filter(run=r).count() == 7 * H


def test_empty_database_gives_a_clear_error():
    with pytest.raises(services.ForecastError, match="SalesDay is empty"):
        services.create_run("global_tide", H)
    with pytest.raises(services.ForecastError, match="unknown model"):
        services.create_run("prophet", H)


def test_the_command_passes_the_catalogue_settings_to_training(catalogue):
    """--mask-stockouts off --weight-average off (the settings for a seasonal weekly catalogue)
    reach the training config and are saved with the version."""
    call_command("forecast", "--model", "global_tide", "--horizon", str(H), "--shards", "2", "--max-epochs", "1",
                 "--no-text", "--no-explain", "--mask-stockouts", "off", "--weight-average", "off")
    r = ForecastRun.objects.get()
    assert r.status == "succeeded", r.error
    assert r.options["train"]["mask_stockouts"] is False and r.options["train"]["ema_decay"] == 0.0
    saved = r.model_version.config["train"]
    assert saved["mask_stockouts"] is False and saved["ema_decay"] == 0.0
    assert r.metrics["stockout_masking"] == {"setting": "false", "members": None}
