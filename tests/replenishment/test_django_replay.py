"""The product's policy replay: stored per pair and method, a method chosen by a margin, staff
choices kept, blind to what comes after its day, explained in the suggestion, and shown only to
users who logged in."""
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.test import APIClient

from inventory.models import SalesDay, StockLevel
from inventory_site.roles import VIEWER
from replenishment import services
from replenishment.models import PolicyReplay, PolicyReplayRun, ReorderPolicy, ReorderSuggestion
from replenishment.replays import replay_history
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db
AS_OF = date(2024, 6, 30)
METHODS = {"base_stock", "base_stock_ma", "order_sold"}


def _sales(product, warehouse, daily, days=420, seed=0, until=AS_OF):
    rng = np.random.default_rng(seed)
    SalesDay.objects.bulk_create(
        SalesDay(product=product, warehouse=warehouse, date=until - timedelta(days=days - 1 - d),
                 units=int(daily(rng, d)), avg_price="5.00") for d in range(days))


@pytest.fixture
def shop():
    sup = make_supplier(code="S1", lead_time_mean_days=Decimal("14"), lead_time_std_days=Decimal("3"))
    w = make_warehouse(code="W1")
    steady = make_product(sku="STEADY", supplier=sup)
    lumpy = make_product(sku="LUMPY", supplier=sup, pack_size=5)
    never = make_product(sku="NEVER", supplier=sup)
    new = make_product(sku="NEW", supplier=sup)
    _sales(steady, w, lambda rng, d: rng.poisson(6), seed=1)
    _sales(lumpy, w, lambda rng, d: rng.poisson(20) if rng.random() < 0.15 else 0, seed=2)
    _sales(never, w, lambda rng, d: 0)
    for p in (steady, lumpy, never, new):
        StockLevel.objects.create(product=p, warehouse=w, on_hand=10)
    return {"w": w, "steady": steady, "lumpy": lumpy, "never": never, "new": new}


def _choice():
    return dict(ReorderPolicy.objects.values_list("product__sku", "method"))


def test_every_pair_is_replayed_with_every_method_and_a_method_is_chosen(shop):
    run = replay_history(periods=8, freq="W", as_of=AS_OF)
    assert run.pairs == 3 and run.skipped == {"no sales history up to as_of": 1}   # NEW has no history
    assert set(run.totals) == METHODS                                                # no trained RL: not replayed
    rows = PolicyReplay.objects.filter(run=run)
    assert rows.count() == 3 * len(METHODS)
    assert rows.filter(selected=True).count() == 3
    never = rows.filter(product=shop["never"])
    # a pair that never sold is scored: ordering nothing costs nothing, so holding is its only cost
    assert all(r.shortage_cost == 0 and r.fill_rate == 1.0 for r in never)
    chosen = _choice()
    assert set(chosen) == {"STEADY", "LUMPY", "NEVER"} and set(chosen.values()) <= METHODS
    assert set(ReorderPolicy.objects.values_list("method_source", flat=True)) == {"replay"}
    for sku, method in chosen.items():
        row = rows.get(product__sku=sku, selected=True)
        assert row.method == method


def test_the_choice_ignores_everything_after_its_day_and_is_reproducible(shop):
    first = replay_history(periods=8, freq="W", as_of=AS_OF, seed=3)
    chosen = _choice()
    # the future changes completely: a flood of sales after AS_OF
    _sales(shop["steady"], shop["w"], lambda rng, d: 500, days=60, until=AS_OF + timedelta(days=60))
    again = replay_history(periods=8, freq="W", as_of=AS_OF, seed=3)
    assert again.totals == first.totals and _choice() == chosen


def test_a_method_staff_set_is_kept_and_one_that_cannot_run_is_never_chosen(shop, settings, tmp_path):
    settings.REPLENISHMENT_RL_POLICY = str(tmp_path / "missing.pt")
    ReorderPolicy.objects.create(product=shop["steady"], warehouse=shop["w"], method="rl")   # staff chose rl
    run = replay_history(periods=8, freq="W", as_of=AS_OF)
    assert "rl" not in run.totals and run.selected["kept_staff_choice"] == 1
    assert ReorderPolicy.objects.get(product=shop["steady"]).method == "rl"
    # the suggestion says the learned policy could not decide, and which rule did
    services.run_replenishment(as_of=AS_OF, products=[shop["steady"]])
    s = ReorderSuggestion.objects.get(product=shop["steady"], status="pending")
    assert s.method == "base_stock" and "No learned policy has been trained yet" in s.explanation


def test_the_suggestion_names_the_method_and_what_the_replay_said(shop):
    replay_history(periods=8, freq="W", as_of=AS_OF)
    services.run_replenishment(as_of=AS_OF)
    suggestions = list(ReorderSuggestion.objects.filter(status="pending"))
    assert suggestions
    for s in suggestions:
        label = ReorderPolicy.Method(s.method).label
        assert f"Method: {label}. Replayed on this pair's last 8 weeks to {AS_OF}" in s.explanation
        assert "the replay chose it" in s.explanation


def test_bad_replay_options_are_refused_with_the_field(shop):
    from replenishment.errors import ReplenishmentError
    with pytest.raises(ReplenishmentError, match="periods must be between 1 and 104"):
        replay_history(periods=0)
    with pytest.raises(ReplenishmentError, match="freq must be W or D"):
        replay_history(freq="M")


def test_manage_py_replay_prints_the_table(shop, capsys):
    call_command("replay", "--periods", "6", "--freq", "W", "--as-of", AS_OF.isoformat(), "--no-apply")
    out = capsys.readouterr().out
    assert "base_stock_ma" in out and "replay" in out and ReorderPolicy.objects.count() == 0
    assert PolicyReplayRun.objects.get().applied is False


def test_daily_replay_runs_too(shop):
    run = replay_history(periods=28, freq="D", as_of=AS_OF)
    assert run.freq == "D" and run.pairs == 3 and set(run.totals) == METHODS


def test_a_product_without_unit_cost_targets_the_default_service_level(shop, settings):
    settings.STOCKCAST_DEFAULT_SERVICE_LEVEL = 0.9
    free = make_product(sku="FREE", unit_cost=Decimal("0"), price=Decimal("3"), supplier=shop["steady"].supplier)
    _sales(free, shop["w"], lambda rng, d: rng.poisson(4), seed=5)
    StockLevel.objects.create(product=free, warehouse=shop["w"], on_hand=0)
    services.run_replenishment(as_of=AS_OF, products=[free])
    s = ReorderSuggestion.objects.get(product=free, status="pending")
    assert "90% service-level target (the default: this product has no unit cost" in s.explanation
    assert 0.85 < s.expected_service_level < 0.95          # not "100 % chance of no stock-out"


def _login(client, django_user_model, role=None):
    user = django_user_model.objects.create_user(f"u-{role}", password="a-long-test-password-42")
    if role:
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def test_the_replay_page_and_endpoint_need_login_and_viewers_cannot_change_a_method(shop, client, django_user_model):
    replay_history(periods=8, freq="W", as_of=AS_OF)
    assert client.get("/replay/").status_code == 302                         # to the login page
    assert APIClient().get("/api/v1/policy-replay-runs/").status_code in (401, 403)
    viewer = _login(client, django_user_model, VIEWER)
    page = client.get("/replay/?sort=cost")
    assert page.status_code == 200 and b"replay-pairs" in page.content and b"STEADY" in page.content
    # no forecast run yet: every base-stock decision came from the sales history, and the page says so
    assert b"0 times from the forecast in force" in page.content
    api = APIClient()
    api.force_authenticate(viewer)
    body = api.get("/api/v1/policy-replays/?selected=true").json()
    assert body["count"] == 3 and {r["method"] for r in body["results"]} <= METHODS
    sources = api.get("/api/v1/policy-replay-runs/").json()["results"][0]["demand_sources"]
    assert sources == {"forecast": 0, "sales_history": 3 * 8, "runs": []}
    policy = ReorderPolicy.objects.get(product=shop["steady"])
    before = policy.method
    refused = client.post(f"/admin/replenishment/reorderpolicy/{policy.pk}/change/",
                          {"product": policy.product_id, "warehouse": policy.warehouse_id, "method": "rl",
                           "review_period_days": 7, "ordering_cost": "0", "active": "on"})
    assert refused.status_code in (302, 403)                                   # the admin is not for viewers
    policy.refresh_from_db()
    assert (policy.method, policy.method_source) == (before, "replay")


def test_a_trained_learned_policy_is_replayed_and_can_be_chosen(shop, settings, tmp_path):
    from replenishment.learned import train_catalogue_policy
    settings.REPLENISHMENT_RL_POLICY = str(tmp_path / "rl.pt")
    path = train_catalogue_policy(as_of=AS_OF, states_per_item=60, fit_steps=100, log=lambda *a, **k: None)
    assert path.exists()
    run = replay_history(periods=8, freq="W", as_of=AS_OF)
    assert set(run.totals) == METHODS | {"rl"}
    assert PolicyReplay.objects.filter(run=run, method="rl").count() == 3


@pytest.mark.parametrize("run", ["-4.0079985256198456e+86", "0", str(2**63)])
def test_a_run_id_out_of_range_is_refused_by_name(django_user_model, run):
    # found by the schema fuzzer: an id past 64 bits reached SQLite as an integer it cannot hold
    user = django_user_model.objects.create_user("u-range", password="a-long-test-password-42")
    api = APIClient()
    api.force_authenticate(user)
    response = api.get("/api/v1/policy-replays/", {"run": run})
    assert response.status_code == 400 and "run" in response.json()["error"]["fields"]
