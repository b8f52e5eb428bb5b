"""Alerts on stored forecasts: current-run quantiles, the band of the forecast issued before a day, drift."""
from datetime import date, timedelta

import numpy as np
import pytest

pytest.importorskip("forecasting.models")

from forecasting.ml.base import QUANTILE_NAMES, QUANTILES  # noqa: E402
from forecasting.models import Forecast, ForecastRun  # noqa: E402
from insights import watch  # noqa: E402
from insights.forecast_link import StoredForecastSource, drift_inputs  # noqa: E402
from insights.models import Alert  # noqa: E402
from inventory.models import SalesDay, StockLevel  # noqa: E402
from scipy.stats import norm  # noqa: E402
from tests.factories import make_product, make_warehouse  # noqa: E402

pytestmark = pytest.mark.django_db
TODAY = date(2026, 7, 1)


def forecast_rows(run, p, w, first, days, mean, sd):
    qs = np.clip(mean + sd * norm.ppf(QUANTILES), 0, None)
    Forecast.objects.bulk_create([
        Forecast(run=run, product=p, warehouse=w, date=first + timedelta(days=i), mean=mean,
                 **dict(zip(QUANTILE_NAMES, map(float, qs)))) for i in range(days)])


@pytest.fixture
def setup():
    p, w = make_product(), make_warehouse()
    rng = np.random.default_rng(0)
    SalesDay.objects.bulk_create([SalesDay(product=p, warehouse=w, date=TODAY - timedelta(days=d),
                                           units=int(rng.poisson(10))) for d in range(1, 200)])
    old = ForecastRun.objects.create(model_name="global_tide", status="succeeded", as_of=TODAY - timedelta(days=15),
                                     metrics={"mase": 0.8})
    cur = ForecastRun.objects.create(model_name="global_tide", status="succeeded", as_of=TODAY - timedelta(days=1),
                                     metrics={"mase": 0.8}, is_current=True)
    return p, w, old, cur


def test_current_run_quantiles_padded_beyond_horizon(setup):
    p, w, old, cur = setup
    forecast_rows(cur, p, w, TODAY, 28, 10, 3)
    got = StoredForecastSource().daily_quantiles({(p.pk, w.pk)}, TODAY, 35)[(p.pk, w.pk)]
    assert got.values.shape == (35, len(QUANTILES)) and "repeated" in got.name
    assert StoredForecastSource().daily_quantiles({(p.pk, w.pk)}, TODAY, 20)[(p.pk, w.pk)].name == "forecast"
    StockLevel.objects.create(product=p, warehouse=w, on_hand=5)
    watch.check_stock(TODAY)
    assert Alert.objects.get(kind="stockout_risk").evidence["forecast_source"] == "forecast"


def test_anomaly_band_comes_from_the_forecast_issued_before_the_day(setup):
    p, w, old, cur = setup
    # the old run (issued 15 days ago) expected about 10 a day; yesterday sold 60: outside its p99
    forecast_rows(old, p, w, TODAY - timedelta(days=14), 28, 10, 4)
    SalesDay.objects.filter(product=p, date=TODAY - timedelta(days=1)).update(units=60)
    watch.check_anomalies(TODAY)
    ev = Alert.objects.get(kind="demand_anomaly").evidence
    assert [(a["test"], a["units"]) for a in ev["anomalies"]] == [("forecast band", 60)]


def test_drift_fires_when_issued_forecasts_go_bad_and_not_when_good(setup, monkeypatch):
    from insights import forecast_link

    monkeypatch.setattr(forecast_link, "request_finetune", lambda reason: {"requested": True})
    p, w, old, cur = setup
    forecast_rows(old, p, w, TODAY - timedelta(days=14), 28, 10, 3)   # right level: MASE well under 0.8 * 1.25
    good = drift_inputs(TODAY)
    assert good and good[0].days_observed == 14 and good[0].rolling_error < 1.0
    watch.check_drift()
    assert not Alert.objects.exists()
    Forecast.objects.filter(run=old).update(mean=30)                     # 3x too high: MASE far above
    bad = drift_inputs(TODAY)
    assert bad[0].rolling_error > 0.8 * 1.5
    watch.check_drift(bad)
    assert Alert.objects.get(kind="forecast_drift").status == "open"


def test_what_if_uses_the_forecasting_models_counterfactual_for_a_saved_promotion(setup):
    from decimal import Decimal

    from insights.promotions import planner
    from inventory.models import Promotion

    p, w, old, cur = setup
    start, end = TODAY + timedelta(days=5), TODAY + timedelta(days=9)
    forecast_rows(cur, p, w, TODAY, 28, 10, 2)
    # the model's explanation: on the promotion days the forecast is 10 = 4 level/calendar + 6 promotion
    for f in Forecast.objects.filter(run=cur):
        promo_day = start <= f.date <= end
        f.explanation = {"level": 4.0 if promo_day else 10.0, "calendar": 0.0, "price": 0.0,
                         "promotion": 6.0 if promo_day else 0.0}
        f.save()
    no_saved = planner.what_if([p.pk], [w.pk], start, end, 25, today=TODAY)["lines"][0]
    assert no_saved["method"] == "calibrated_uplift_on_baseline"
    promo = Promotion.objects.create(name="saved", start_date=start, end_date=end, discount_pct=Decimal("25"))
    promo.products.add(p)
    promo.warehouses.add(w)
    line = planner.what_if([p.pk], [w.pk], start, end, 25, today=TODAY)["lines"][0]
    assert line["method"] == "forecasting_counterfactual"
    assert line["units_without"]["mean"] == pytest.approx(5 * 4.0, rel=0.1)      # 5 days x 4 without
    assert line["uplift"]["multiplier_p10"] <= 2.5 <= line["uplift"]["multiplier_p90"]  # the model's 10/4
    deeper = planner.what_if([p.pk], [w.pk], start, end, 50, today=TODAY)["lines"][0]
    assert deeper["units_with"]["p50"] > line["units_with"]["p50"]
