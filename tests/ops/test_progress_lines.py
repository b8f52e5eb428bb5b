"""Long work says how it is going: training epochs (with validation loss and time left) and shards
from `manage.py forecast`, import rows and the three stated assumptions from `manage.py demo`,
the replenishment and alert passes with counts, and the run's latest line for its page."""
import gzip
import io
import logging

import pytest
from django.core.management import call_command

from forecasting.ml.trainer import TrainConfig
from forecasting.models import ForecastRun
from inventory_site import progress
from tests.forecasting.test_django_forecast import H, catalogue  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_echo_to_prints_each_line_once_and_restores_the_logger():
    lines = []
    with progress.echo_to(lines.append):
        progress.report("shard %d of %d", 1, 3)
    progress.report("after")  # not echoed any more
    assert lines == ["shard 1 of 3"]
    assert progress.LOGGER.propagate and not progress.LOGGER.handlers
    assert progress.duration(130) == "2 min 10 s" and progress.duration(12) == "12 s"


def test_the_forecast_command_prints_epochs_and_shards(catalogue):  # noqa: F811
    out = io.StringIO()
    with progress.echo_to(out.write):  # what the command's own echo would print to the terminal
        call_command("forecast", "--model", "global_tide", "--horizon", str(H), "--shards", "2", "--max-epochs", "2",
                     "--no-text", "--no-explain", "--mask-stockouts", "off")
    text = out.getvalue()
    assert "holdout model (scored on the last horizon): train epoch 1/2" in text
    assert "model on all history: train epoch 1/" in text and "validation loss" in text and "left" in text
    assert "shard 1 of 2 written" in text and "shard 2 of 2 written" in text
    run = ForecastRun.objects.get()
    assert run.progress.startswith(f"run {run.pk}: shard")  # the page's live line


def test_epochs_are_told_with_their_budget():
    from forecasting.ml.train import GlobalForecaster
    from tests.forecasting._synth import make_panel
    heard = []
    m = GlobalForecaster(horizon=14, hidden=16, use_text=False,
                         train=TrainConfig(max_epochs=3, patience=10, batches_per_epoch=2, batch_size=32,
                                           mask_stockouts="both", max_seconds=100))
    m.on_epoch = heard.append
    m.fit(make_panel(), 130)
    stages = [(h["member"][:9], h["stage"], h["epoch"], h["of"]) for h in heard]
    assert stages == [("network 1", "train", e, 3) for e in (1, 2, 3)] + [("network 2", "train", e, 3) for e in (1, 2, 3)]
    assert all(0 <= h["budget_left"] <= 50 for h in heard)  # each network has half of the budget
    assert all(h["val"] is not None for h in heard if h["stage"] == "train")


def test_replenishment_and_alert_passes_report_counts(catalogue, caplog):  # noqa: F811
    from insights.watch import run_all
    from replenishment.services import run_replenishment
    with caplog.at_level(logging.INFO, logger="stockcast.progress"):
        run_replenishment()
        run_all()
    text = caplog.text
    assert "replenishment as of" in text and "suggestions written" in text
    assert "alert checks: stock done:" in text and "alert checks: drift done:" in text


def test_the_demo_prints_its_progress_and_its_three_assumptions(tmp_path, settings, data_dir):
    settings.VAR_DIR = str(tmp_path)
    shared = data_dir / "online_retail_ii"
    folder = tmp_path / "data" / "online_retail_ii"
    folder.mkdir(parents=True)
    with gzip.open(shared / "year_2010_2011.csv.gz", "rt") as source:
        head = [next(source) for _ in range(3000)]
    with gzip.open(folder / "slice.csv.gz", "wt") as target:
        target.writelines(head)
    out = io.StringIO()
    call_command("demo", data_dir=str(tmp_path / "data"), skip_forecast=True, stdout=out)
    text = out.getvalue()
    assert "import: " in text and "order lines read" in text
    assert "3) no unit costs, so every reorder decision targets the default 95% service level" in text
