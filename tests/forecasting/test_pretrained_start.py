"""Where a forecast run's model starts from (forecasting/starts.py) and the shipped pretrained
checkpoint (forecasting/pretrained.py): zero-shot on a catalogue too young to train on, the
zero-shot/fine-tune rule, the fallbacks from a missing or broken checkpoint, and what the run,
its version, the API and the dashboard say of it."""
import hashlib
import re
import json
import socket
from datetime import date, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse

from forecasting import pretrained, services, starts, tasks
from forecasting.ml.train import GlobalForecaster, TrainConfig
from forecasting.models import Forecast, ForecastRun, ModelVersion, Start
from inventory.models import SalesDay, StockLevel, Warehouse
from tests.factories import make_category, make_product, make_warehouse

from ._synth import make_panel

pytestmark = pytest.mark.usefixtures("eager_celery", "one_torch_thread")
H = 7
FAST = {"train": {"max_epochs": 1, "batches_per_epoch": 2, "batch_size": 32, "device": "cpu"}, "use_text": False}
END = date(2024, 6, 30)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network use in a test that must work offline")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def sales(days: int, products: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    cat = make_category(code="PASTA")
    wh = make_warehouse(code="W1")
    rows = []
    for i in range(products):
        p = make_product(sku=f"P{i}", name=f"Spaghetti no {i}", description="Durum wheat pasta, 500 g", category=cat)
        rate = rng.uniform(2, 8)
        for d in range(days):
            day = END - timedelta(days=days - 1 - d)
            rows.append(SalesDay(product=p, warehouse=wh, date=day, units=int(rng.poisson(rate)), avg_price="2.50"))
    SalesDay.objects.bulk_create(rows)


@pytest.fixture
def small_checkpoint(tmp_path, settings):
    """A small checkpoint over this file's horizon, with its card, in place of the shipped one."""
    tc = TrainConfig(seed=0, max_epochs=2, batches_per_epoch=4, batch_size=64, device="cpu")
    model = GlobalForecaster(H, context=21, use_text=False, hidden=16, train=tc, name="small_pretrained")
    model.fit(make_panel(), 130)
    path = tmp_path / "small.stockcast"
    blob = model.to_bytes()
    path.write_bytes(blob)
    (tmp_path / "small.stockcast.json").write_text(json.dumps({"sha256": hashlib.sha256(blob).hexdigest()}))
    settings.STOCKCAST_PRETRAINED_CHECKPOINT = path
    return path


def run(**options):
    run_id = tasks.run_forecast("global_tide", options.pop("horizon", H), 1, {**FAST, **options})
    return ForecastRun.objects.get(pk=run_id)


# ----------------------------------------------------------------------------- the shipped file

def test_the_shipped_checkpoint_loads_offline_and_forecasts_the_same_twice(no_network):
    path = pretrained.checkpoint_path()
    card = pretrained.card()
    assert path.stat().st_size <= 30 * 1024 * 1024  # the bound on a committed file
    assert card["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() and card["horizon"] == 28
    panel = make_panel(t=120)
    first = pretrained.load().predict(panel, 90, 28)
    second = pretrained.load().predict(panel, 90, 28)
    np.testing.assert_array_equal(first.mean, second.mean)
    np.testing.assert_array_equal(first.quantiles, second.quantiles)
    assert np.isfinite(first.mean).all() and (first.mean >= 0).all()


@pytest.mark.django_db
def test_a_catalogue_of_three_products_and_twenty_days_gets_a_zero_shot_forecast(no_network):
    """Too young to train on (a scratch run needs 58 days at this horizon and fails): the shipped
    checkpoint forecasts it as it is, and the run says so."""
    sales(days=20)
    # a product never sold, stocked in the warehouse: a cold start, from description and price
    new = make_product(sku="NEW", name="Fusilli wholegrain", description="Durum wheat pasta, 500 g")
    StockLevel.objects.create(product=new, warehouse=Warehouse.objects.get(code="W1"), on_hand=10)
    r = run(horizon=28)
    assert r.status == "succeeded" and r.is_current, r.error
    assert r.start == Start.PRETRAINED_ZERO_SHOT and "20 days of history are too few" in r.start_note
    assert r.start_note.endswith("(this catalogue has no trained version of its own yet)")
    assert Forecast.objects.filter(run=r).count() == 4 * 28
    cold = Forecast.objects.filter(run=r, product=new)
    assert cold.count() == 28 and all(f.mean > 0 for f in cold)
    # too young for the quantile recalibration too (it needs three horizons), and said
    assert r.metrics["quantile_recalibration"] == {"used": False, "why": "needs 84 periods of history, has 20"}
    v = r.model_version
    assert v.start == Start.PRETRAINED_ZERO_SHOT and v.parent is None and v.data_end is None
    assert v.config["corpus_window"]["freq"] == "D"  # what it was trained on instead
    with pytest.raises(Exception, match="need at least 58 days of history"):
        run(horizon=28, start="scratch")
    assert ForecastRun.objects.latest("id").status == "failed"


@pytest.mark.django_db
def test_a_zero_shot_run_recalibrates_its_quantiles_on_the_shops_last_days_when_that_helps(small_checkpoint):
    """22 days (too few to fine-tune at this horizon, enough for the three horizons the guard
    needs) of 40 products: the run records the guard's evidence, and the version forecasts with
    the map exactly when the guard kept one."""
    sales(days=22, products=40)
    r = run()
    assert r.status == "succeeded" and r.start == Start.PRETRAINED_ZERO_SHOT, r.error
    evidence = r.metrics["quantile_recalibration"]
    assert {"check_pinball_raw", "check_pinball_recalibrated"} <= set(evidence)
    assert evidence["used"] == (evidence["check_pinball_recalibrated"] < evidence["check_pinball_raw"])
    model = GlobalForecaster.from_bytes(bytes(r.model_version.weights))
    assert (model.level_map is not None) == evidence["used"]
    raw = GlobalForecaster.from_bytes(pretrained.checkpoint_path().read_bytes())
    assert raw.level_map is None  # the checkpoint file itself is never changed


# ----------------------------------------------------------------------------- the rule

def test_the_rule_fine_tunes_only_with_room_for_a_holdout_and_keeps_the_better():
    assert starts.pretrained_plan(3 * H + 1, H).startswith(f"{3 * H + 1} days of history are too few")
    assert starts.pretrained_plan(3 * H + 2, H) is None
    assert starts.keep_fine_tuned(zero_shot=0.80, fine_tuned=0.79)
    assert not starts.keep_fine_tuned(zero_shot=0.80, fine_tuned=0.80)
    assert not starts.keep_fine_tuned(zero_shot=0.80, fine_tuned=None)
    assert starts.keep_fine_tuned(zero_shot=None, fine_tuned=0.9)


@pytest.mark.django_db
def test_with_history_enough_both_are_scored_and_the_run_keeps_the_one_the_holdout_prefers(small_checkpoint):
    sales(days=120)
    r = run()
    assert r.status == "succeeded", r.error
    compared = r.metrics["start_comparison"]
    assert set(compared) == {"zero_shot_wrmsse", "fine_tuned_wrmsse"}
    expected = (Start.PRETRAINED_FINETUNED if starts.keep_fine_tuned(compared["zero_shot_wrmsse"],
                                                                     compared["fine_tuned_wrmsse"])
                else Start.PRETRAINED_ZERO_SHOT)
    assert r.start == expected == r.model_version.start
    assert str(compared["zero_shot_wrmsse"]) in r.start_note
    # the kept model's holdout figures are the run's
    kept = "fine_tuned_wrmsse" if expected == Start.PRETRAINED_FINETUNED else "zero_shot_wrmsse"
    assert r.metrics["wrmsse"] == compared[kept]


@pytest.mark.django_db
def test_auto_fine_tunes_a_version_of_the_catalogue_and_asks_the_rule_again_after_a_zero_shot_one(small_checkpoint):
    sales(days=120)
    scratch = run(start="scratch")
    assert scratch.start == Start.SCRATCH and scratch.start_note == "trained from scratch, as asked"
    follow = run()
    assert follow.start == Start.LATEST and follow.model_version.parent == scratch.model_version
    assert follow.start_note == f"fine-tuned from version {scratch.model_version_id}"
    # a zero-shot copy of the checkpoint is not the catalogue's own: auto goes back to the rule
    ModelVersion.objects.filter(pk=follow.model_version_id).update(start=Start.PRETRAINED_ZERO_SHOT)
    again = run()
    assert again.start in (Start.PRETRAINED_FINETUNED, Start.PRETRAINED_ZERO_SHOT)


# ----------------------------------------------------------------------------- fallbacks

@pytest.mark.django_db
@pytest.mark.parametrize("damage, says", [
    ("missing", "is missing"),
    ("garbage", "does not match the checksum on its card"),
    ("unreadable", "cannot be read (UnpicklingError): it is not a stockcast model file"),
])
def test_a_missing_or_broken_checkpoint_falls_back_to_scratch_and_says_why(small_checkpoint, damage, says):
    sales(days=120)
    if damage == "missing":
        small_checkpoint.unlink()
    elif damage == "garbage":
        small_checkpoint.write_bytes(b"\x00" * 100)
    else:  # no card to check against, and bytes torch cannot read
        small_checkpoint.with_name("small.stockcast.json").unlink()
        small_checkpoint.write_bytes(b"not a model at all")
    with pytest.raises(pretrained.CheckpointError, match=re.escape(says)):
        pretrained.load()
    r = run()
    assert r.status == "succeeded" and r.start == Start.SCRATCH, r.error
    assert str(small_checkpoint) in r.start_note and says in r.start_note
    assert r.start_note.endswith("trained from scratch instead")


@pytest.mark.django_db
def test_latest_without_a_version_and_a_checkpoint_of_another_horizon_are_said(small_checkpoint):
    sales(days=120)
    r = run(start="latest", horizon=14)
    assert r.start == Start.SCRATCH, r.error
    assert r.start_note == ("no earlier version of global_tide to fine-tune; the pretrained checkpoint forecasts "
                            "7 days with tide, this run 14 days with tide; trained from scratch instead")


@pytest.mark.django_db
@pytest.mark.parametrize("options, says", [
    ({"start": "yesterday"}, "options.start: one of auto, latest, pretrained, scratch, got 'yesterday'"),
    ({"finetune": True}, "options.finetune: replaced by options.start"),
])
def test_a_bad_start_option_is_refused_by_name(options, says):
    sales(days=30)
    with pytest.raises(services.ForecastError, match=says):
        services.create_run("global_tide", H, 1, options)


# ----------------------------------------------------------------------------- what users see

@pytest.mark.django_db
def test_the_command_takes_from_and_the_dashboard_api_and_run_page_say_the_start(small_checkpoint, client,
                                                                                  django_user_model):
    sales(days=120)
    call_command("forecast", "--horizon", str(H), "--shards", "1", "--from", "scratch", "--no-text",
                 "--no-explain", "--max-epochs", "1")
    r = ForecastRun.objects.get()
    assert r.start == Start.SCRATCH and r.is_current
    user = django_user_model.objects.create_user("viewer", password="pw-12345-long")
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    assert "trained from scratch" in page and "Model started from" in page
    assert "trained from scratch, as asked" in client.get(reverse("ui:run", args=[r.pk])).content.decode()
    body = client.get(f"/api/v1/forecast-runs/{r.pk}/").json()
    assert body["start"] == "scratch" and body["start_note"] == "trained from scratch, as asked"
