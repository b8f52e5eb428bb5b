"""The cost-tuned base-stock method in the product: the replay tunes its safety factor per
demand class on the shop's own replayed cost (only where a forecast was in force and there are
enough pairs), stores it on the run, and a live decision orders up to the forecast's centre + the
factor x its scale, saying so; without a tuned factor it says why base-stock decided instead."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from inventory.models import Product
from replenishment import services
from replenishment.decisions import decide
from replenishment.inputs import forecasts, history, pairs
from replenishment.models import PolicyReplay, ReorderPolicy, ReorderSuggestion
from replenishment.policies.tuning import FACTORS
from replenishment.replays import SafetyFactor, replay_history
from tests.factories import baseline_forecast_run, make_selling_shop

pytestmark = pytest.mark.django_db
AS_OF = date(2024, 6, 30)
TUNED = ReorderPolicy.Method.BASE_STOCK_TUNED


def _shop(n_pairs):
    return make_selling_shop(n_pairs, AS_OF, unit_cost=Decimal("2.00"), price=Decimal("5.00"))


def _forecast_run(as_of, horizon=60):
    return baseline_forecast_run(as_of, horizon)


def _set_costs(holding, shortage):
    for pair in pairs():
        ReorderPolicy.objects.update_or_create(product=pair.product, warehouse=pair.warehouse, defaults={
            "holding_cost": Decimal(holding), "shortage_cost": Decimal(shortage)})


def test_without_a_forecast_in_force_the_method_is_not_replayed_so_never_chosen():
    _shop(32)
    run = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    assert TUNED not in run.totals and run.tuned_factors == {}
    assert not PolicyReplay.objects.filter(run=run, method=TUNED).exists()


def test_too_few_pairs_to_tune_a_class_on_are_not_tuned():
    """The run was calibrated on 32 pairs; 20 of them have since left the catalogue."""
    _shop(32)
    _forecast_run(AS_OF - timedelta(days=60))
    Product.objects.filter(sku__gte="P12").update(active=False)
    run = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    assert run.demand_sources["forecast"] > 0
    assert TUNED not in run.totals and run.tuned_factors == {}


def test_the_factor_follows_the_costs_and_the_run_keeps_it():
    """Lost sales 20 times dearer than holding want a higher factor than lost sales at a quarter of
    it; each is one of the replayed factors, and every pair has its replayed row."""
    _shop(32)
    _forecast_run(AS_OF - timedelta(days=60))
    _set_costs("1", "0.25")
    cheap_shortage = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    _set_costs("1", "20")
    dear_shortage = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    low, high = cheap_shortage.tuned_factors["factors"], dear_shortage.tuned_factors["factors"]
    assert low["*"] in FACTORS and high["*"] in FACTORS
    assert high["*"] - low["*"] >= 1.0
    assert dear_shortage.tuned_factors["series"]["*"] == 32
    assert PolicyReplay.objects.filter(run=dear_shortage, method=TUNED).count() == 32


def test_the_replay_page_and_api_show_the_tuned_factors(client, django_user_model):
    from rest_framework.test import APIClient
    _shop(32)
    _forecast_run(AS_OF - timedelta(days=60))
    run = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    user = django_user_model.objects.create_user("viewer", password="a-long-test-password-42")
    client.force_login(user)
    page = client.get("/replay/").content.decode()
    assert "Base-stock, cost-tuned safety factor" in page
    assert f"pooled {run.tuned_factors['factors']['*']:.1f}" in page
    api = APIClient()
    api.force_authenticate(user)
    assert api.get("/api/v1/policy-replay-runs/").json()["results"][0]["tuned_factors"] == run.tuned_factors


def _live_setup():
    _shop(32)
    _forecast_run(AS_OF - timedelta(days=60))
    replay = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    _forecast_run(AS_OF)           # the current run a live decision reads
    return replay


def test_a_live_decision_orders_up_to_the_centre_plus_the_factor_times_the_scale():
    replay = _live_setup()
    ps = pairs()
    pair = ps[4]
    hist, (_, fcs) = history(ps, AS_OF), forecasts(ps, AS_OF)
    ReorderPolicy.objects.create(product=pair.product, warehouse=pair.warehouse, method=TUNED)
    pair = pairs()[4]
    at = {k: decide(pair, hist, fcs, AS_OF, factor=SafetyFactor(k, "*", replay)) for k in (0.0, 2.0)}
    d0, d2 = at[0.0], at[2.0]
    assert d0.method == d2.method == TUNED and d0.demand.source == "calibrated_forecast"
    assert d0.target == pytest.approx(d0.demand.centre)
    assert d2.target - d0.target == pytest.approx(2 * d0.demand.scale)
    assert d0.demand.scale > 0
    assert "Cost-tuned safety factor +2.0" in d2.note and f"= {d2.target:.0f}" in d2.note


def test_the_suggestion_names_the_tuned_factor_and_falls_back_without_one():
    replay = _live_setup()
    pair = pairs()[4]
    ReorderPolicy.objects.create(product=pair.product, warehouse=pair.warehouse, method=TUNED)
    services.run_replenishment(as_of=AS_OF)
    s = ReorderSuggestion.objects.get(product=pair.product, warehouse=pair.warehouse, status="pending")
    row = PolicyReplay.objects.get(run=replay, product=pair.product, warehouse=pair.warehouse, method=TUNED)
    factors = replay.tuned_factors["factors"]
    k = factors.get(row.demand_class, factors["*"])
    assert s.method == TUNED and s.demand_source == "forecast"
    assert f"Cost-tuned safety factor {k:+.1f}" in s.explanation
    assert "from the cost-tuned safety factor" in s.explanation
    # no replay has tuned a factor: base-stock decides, and says why
    replay.delete()
    services.run_replenishment(as_of=AS_OF)
    s = ReorderSuggestion.objects.get(product=pair.product, warehouse=pair.warehouse, status="pending")
    assert s.method == "base_stock" and "The latest policy replay tuned no safety factor" in s.explanation


def test_demand_from_the_sales_history_has_no_spread_to_tune_so_base_stock_decides():
    replay = _live_setup()
    ps = pairs()
    pair = ps[4]
    ReorderPolicy.objects.create(product=pair.product, warehouse=pair.warehouse, method=TUNED)
    pair = pairs()[4]
    d = decide(pair, history(ps, AS_OF), {}, AS_OF, factor=SafetyFactor(1.0, "*", replay))
    assert d.method == "base_stock" and d.source == "history"
    assert "did not come from one" in d.note
