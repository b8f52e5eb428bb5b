"""Forecast retention: the current run and the newest superseded ones keep every row; an older
run keeps only the days its forecast was in force (what drift checks read), for a bounded time."""
from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from forecasting import retention
from forecasting.ml.base import QUANTILE_NAMES
from forecasting.models import Forecast, ForecastRun
from forecasting.selectors import issued_run_for, succeeded_runs
from inventory_site.env import env_int
from tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db

H = 5


def nightly(n, first=date(2024, 1, 1), status="succeeded"):
    """n runs a day apart, each forecasting H days after its data end; the last is current."""
    p, w = make_product(), make_warehouse()
    runs = []
    for i in range(n):
        as_of = first + timedelta(days=i)
        run = ForecastRun.objects.create(model_name="tsb", status=status, as_of=as_of, horizon=H,
                                         is_current=(i == n - 1 and status == "succeeded"))
        Forecast.objects.bulk_create(
            Forecast(run=run, product=p, warehouse=w, date=as_of + timedelta(days=d), mean=1.0, demand_class="smooth",
                     **{q: 1.0 for q in QUANTILE_NAMES}) for d in range(1, H + 1))
        runs.append(run)
    return runs


def dates_of(run):
    return sorted(Forecast.objects.filter(run=run).values_list("date", flat=True))


def test_the_current_and_the_newest_superseded_runs_keep_every_row(settings):
    settings.STOCKCAST_FORECAST_KEEP_RUNS = 2
    runs = nightly(6)
    report = retention.prune()
    assert report["kept_in_full"] == sorted(r.pk for r in runs[-3:])
    for run in runs[-3:]:
        assert len(dates_of(run)) == H
    # an older run keeps the one day it was in force: the day after its data end
    for run in runs[:-3]:
        assert dates_of(run) == [run.as_of + timedelta(days=1)]
    assert report["trimmed"] == 3 * (H - 1)


def test_what_drift_reads_survives_pruning(settings):
    settings.STOCKCAST_FORECAST_KEEP_RUNS = 0
    runs = nightly(10)
    ordered = succeeded_runs()
    wanted = {}
    for d in (runs[0].as_of + timedelta(days=k) for k in range(1, 10)):
        wanted[d] = issued_run_for(d, ordered)
    retention.prune()
    for d, run_id in wanted.items():
        assert Forecast.objects.filter(run_id=run_id, date=d).exists(), d


def test_rows_older_than_the_history_go_too(settings):
    settings.STOCKCAST_FORECAST_KEEP_RUNS = 0
    settings.STOCKCAST_FORECAST_HISTORY_DAYS = 28
    runs = nightly(3)
    report = retention.prune(today=runs[0].as_of + timedelta(days=40))
    assert report["older_than_history"] == 2  # the two superseded runs' one kept day each
    assert len(dates_of(runs[-1])) == H  # the current run is never pruned


def test_a_run_without_successors_in_time_is_left_whole_when_kept(settings):
    settings.STOCKCAST_FORECAST_KEEP_RUNS = 7
    runs = nightly(4)
    assert retention.prune()["trimmed"] == 0
    assert all(len(dates_of(r)) == H for r in runs)


def test_finalizing_a_run_prunes(settings):
    from forecasting import services
    settings.STOCKCAST_FORECAST_KEEP_RUNS = 0
    runs = nightly(2)
    new = nightly(1, first=date(2024, 1, 3), status="running")[0]
    ForecastRun.objects.filter(pk=new.pk).update(n_series=1, n_shards=1, shards_done=1)
    services.finalize(ForecastRun.objects.get(pk=new.pk))
    assert dates_of(runs[0]) == [runs[0].as_of + timedelta(days=1)]
    assert len(dates_of(runs[1])) == 1 and len(dates_of(new)) == H


@pytest.mark.parametrize("raw", ["-1", "x"])
def test_the_retention_setting_refuses_nonsense(monkeypatch, raw):
    monkeypatch.setenv("STOCKCAST_FORECAST_KEEP_RUNS", raw)
    with pytest.raises(ImproperlyConfigured, match="STOCKCAST_FORECAST_KEEP_RUNS"):
        env_int("STOCKCAST_FORECAST_KEEP_RUNS", 7, minimum=0)
