"""Reorder suggestions end to end on SQLite (or PostgreSQL) with eager Celery tasks."""
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from scipy import stats

from inventory.purchasing import services as inv
from inventory.models import PurchaseOrder, SalesDay, StockLevel
from replenishment import approvals, selectors, services, tasks
from replenishment.errors import ReplenishmentError
from replenishment.models import ReorderPolicy, ReorderSuggestion
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db
AS_OF = date(2024, 6, 30)


def _history(product, warehouse, rate, days=120, seed=0):
    rng = np.random.default_rng(seed)
    SalesDay.objects.bulk_create(
        SalesDay(product=product, warehouse=warehouse, date=AS_OF - timedelta(days=days - 1 - d),
                 units=int(rng.poisson(rate)), avg_price="5.00") for d in range(days))


@pytest.fixture
def setup():
    sup_a = make_supplier(code="SA", lead_time_mean_days=Decimal("7"))
    sup_b = make_supplier(code="SB", lead_time_mean_days=Decimal("14"))
    w1, w2 = make_warehouse(code="W1"), make_warehouse(code="W2")
    pa = make_product(sku="PA", supplier=sup_a, unit_cost=Decimal("2.50"), price=Decimal("5.00"))
    pb = make_product(sku="PB", supplier=sup_b, unit_cost=Decimal("4.00"), price=Decimal("6.00"), pack_size=6)
    for i, (p, w) in enumerate([(pa, w1), (pa, w2), (pb, w1)]):
        _history(p, w, rate=5 + 3 * i, seed=i)
        StockLevel.objects.create(product=p, warehouse=w, on_hand=4)
    return dict(sup_a=sup_a, sup_b=sup_b, w1=w1, w2=w2, pa=pa, pb=pb)


def _pending(product, warehouse):
    return ReorderSuggestion.objects.get(product=product, warehouse=warehouse, status="pending")


def test_suggestion_has_plain_explanation_and_sane_quantity(setup):
    services.run_replenishment(as_of=AS_OF)
    s = _pending(setup["pa"], setup["w1"])
    # base-stock over 7 days lead + 7 days review at the margin fractile (5-2.5)/(5-2.5+h)
    assert s.method == "base_stock" and s.demand_source == "history"
    assert 60 <= s.forecast_over_lead_time <= 80          # ~ 14 days x 5 a day
    assert s.quantity == int(np.ceil(s.target_level)) - 4 or s.quantity == int(s.target_level) - 4
    for words in ("On hand 4", "on order 0", "lead time", "Safety stock", "order-up-to level"):
        assert words in s.explanation
    assert 0.5 < s.expected_service_level <= 1
    assert s.order_by == AS_OF  # position 4 is already below safety stock
    pb = _pending(setup["pb"], setup["w1"])
    assert pb.quantity % 6 == 0  # pack size


def test_open_purchase_orders_are_counted_and_drafts_are_not(setup):
    pa, w1, sup_a = setup["pa"], setup["w1"], setup["sup_a"]
    services.run_replenishment(as_of=AS_OF)
    first = _pending(pa, w1)
    po = inv.create_purchase_order(supplier=sup_a, warehouse=w1, lines=[inv.OrderLineRequest(pa, 20)])
    inv.approve_purchase_order(po)
    inv.create_purchase_order(supplier=sup_a, warehouse=w1, lines=[inv.OrderLineRequest(pa, 9)])  # draft
    services.run_replenishment(as_of=AS_OF)
    second = _pending(pa, w1)
    assert second.on_order == 20
    assert second.quantity == first.quantity - 20
    assert "on order 20" in second.explanation
    first.refresh_from_db()
    assert first.status == "superseded"


def test_current_forecasts_are_used_when_present(setup):
    from forecasting.ml.base import QUANTILE_NAMES, QUANTILES
    from forecasting.models import Forecast, ForecastRun
    run = ForecastRun.objects.create(model_name="test", status="succeeded", is_current=True, horizon=30)
    qs = stats.poisson.ppf(QUANTILES, 20)  # forecast says 20 a day, history says 5
    Forecast.objects.bulk_create(
        Forecast(run=run, product=setup["pa"], warehouse=setup["w1"], date=AS_OF + timedelta(days=k), mean=20,
                 **dict(zip(QUANTILE_NAMES, qs))) for k in range(1, 31))
    services.run_replenishment(as_of=AS_OF)
    s = _pending(setup["pa"], setup["w1"])
    assert s.demand_source == "forecast" and s.forecast_run == run
    assert s.forecast_over_lead_time == pytest.approx(280, rel=0.05)
    assert "current forecast" in s.explanation
    assert _pending(setup["pa"], setup["w2"]).demand_source == "history"  # no forecast rows for W2


def test_bulk_approve_makes_one_draft_order_per_supplier_and_warehouse(setup):
    user = get_user_model().objects.create_user("planner")
    services.run_replenishment(as_of=AS_OF)
    pending = list(selectors.pending_suggestions())
    assert len(pending) == 3
    orders = approvals.approve_suggestions([s.pk for s in pending], user)
    assert len(orders) == 3  # (SA, W1), (SA, W2), (SB, W1)
    assert {(o.supplier.code, o.warehouse.code) for o in orders} == {("SA", "W1"), ("SA", "W2"), ("SB", "W1")}
    for s in pending:
        s.refresh_from_db()
        assert s.status == "approved" and s.decided_by == user and s.purchase_order is not None
        line = s.purchase_order.lines.get(product=s.product)
        assert line.quantity_ordered == s.quantity
        assert s.purchase_order.status == PurchaseOrder.Status.DRAFT
    with pytest.raises(ReplenishmentError, match="not pending"):
        approvals.approve_suggestions([pending[0].pk], user)


def test_failed_approval_writes_nothing(setup):
    services.run_replenishment(as_of=AS_OF)
    ids = list(ReorderSuggestion.objects.values_list("pk", flat=True))
    nosup = make_product(sku="NOSUP")
    StockLevel.objects.create(product=nosup, warehouse=setup["w1"], on_hand=0)
    _history(nosup, setup["w1"], rate=3)
    services.run_replenishment(as_of=AS_OF, products=[nosup])
    bad = _pending(nosup, setup["w1"])
    with pytest.raises(ReplenishmentError, match="NOSUP has no supplier"):
        approvals.approve_suggestions(ids + [bad.pk])
    assert PurchaseOrder.objects.count() == 0
    assert ReorderSuggestion.objects.filter(status="approved").count() == 0


def test_reject_keeps_the_reason_and_requires_one(setup):
    services.run_replenishment(as_of=AS_OF)
    s = _pending(setup["pa"], setup["w1"])
    with pytest.raises(ReplenishmentError, match="reason"):
        approvals.reject_suggestions([s.pk], "  ")
    assert approvals.reject_suggestions([s.pk], "Supplier on holiday") == 1
    s.refresh_from_db()
    assert s.status == "rejected" and s.reject_reason == "Supplier on holiday" and s.decided_at
    with transaction.atomic(), pytest.raises(IntegrityError):
        ReorderSuggestion.objects.filter(pk=s.pk).update(reject_reason="")


def test_budget_is_never_exceeded(setup):
    services.run_replenishment(as_of=AS_OF)
    free = {s.pk: s for s in selectors.pending_suggestions()}
    spend_a = sum(s.quantity * s.unit_cost for s in free.values() if s.supplier.code == "SA")
    budget = float(spend_a) * 0.5
    services.run_replenishment(as_of=AS_OF, budgets={"SA": budget})
    cut = [s for s in selectors.pending_suggestions() if s.supplier.code == "SA"]
    for w in (setup["w1"], setup["w2"]):  # each supplier x warehouse group within the budget
        assert sum(float(s.quantity * s.unit_cost) for s in cut if s.warehouse == w) <= budget + 1e-6
    assert any(s.quantity < s.wanted_quantity and "budget" in s.explanation for s in cut)


def test_celery_task_runs_eagerly_and_counts(setup):
    # apply(): run in this process whatever the broker (a real worker would not see the test DB)
    n = tasks.run_replenishment.apply(kwargs={"as_of": AS_OF.isoformat()}).get()
    assert n == 3 == ReorderSuggestion.objects.filter(status="pending").count()


def _pending_rows():
    return sorted(ReorderSuggestion.objects.filter(status="pending").values_list(
        "product_id", "warehouse_id", "quantity", "target_level", "expected_cost", "explanation"))


def test_a_run_split_by_warehouse_writes_what_one_run_writes(setup):
    # Under a budget that binds, so the constraints are decided inside each shard as in the run.
    budgets = {"SA": 20}
    services.run_replenishment(as_of=AS_OF, budgets=budgets)
    whole = _pending_rows()
    shards = services.warehouse_shards(2)
    assert sorted(shards) == [[setup["w1"].pk], [setup["w2"].pk]]  # W1 has 2 pairs, W2 one
    assert services.warehouse_shards(5) == shards and services.warehouse_shards(1) == [sorted(
        [setup["w1"].pk, setup["w2"].pk])]
    written = [tasks.replenish_shard.apply(args=[ids, AS_OF.isoformat(), budgets]).get() for ids in shards]
    assert sum(written) == len(whole) and _pending_rows() == whole
    assert ReorderSuggestion.objects.filter(status="superseded").count() == len(whole)


def test_policy_methods_and_bad_parameters(setup):
    pa, w1 = setup["pa"], setup["w1"]
    for method in ("s_S", "rq", "newsvendor"):
        ReorderPolicy.objects.update_or_create(product=pa, warehouse=w1, defaults=dict(
            method=method, ordering_cost=Decimal("20"), service_level=0.95))
        services.run_replenishment(as_of=AS_OF, products=[pa], warehouses=[w1])
        s = _pending(pa, w1)
        assert s.method == method and s.quantity > 0 and s.policy is not None
    bad = ReorderPolicy(product=setup["pb"], warehouse=w1, service_level=1.5, shortage_cost=Decimal("-1"))
    with pytest.raises(ValidationError) as err:
        bad.full_clean()
    assert "service_level" in err.value.message_dict and "shortage_cost" in err.value.message_dict
    with transaction.atomic(), pytest.raises(IntegrityError):
        bad.save()


def test_rl_method_falls_back_without_a_trained_policy_and_uses_one_when_present(setup, settings, tmp_path):
    from replenishment.rl import agent
    pa, w1 = setup["pa"], setup["w1"]
    ReorderPolicy.objects.create(product=pa, warehouse=w1, method="rl")
    settings.REPLENISHMENT_RL_POLICY = str(tmp_path / "missing.pt")
    services.run_replenishment(as_of=AS_OF, products=[pa], warehouses=[w1])
    s = _pending(pa, w1)
    assert s.method == "base_stock" and "No learned policy has been trained yet" in s.explanation
    import torch
    net = agent.PolicyNet(hidden=8, layers=1)
    with torch.no_grad():  # a policy that always picks action 7 (7 order units)
        net.body[-1].weight.zero_()
        net.body[-1].bias.zero_()
        net.body[-1].bias[7] = 10.0
    agent.save(net, tmp_path / "p.pt")
    settings.REPLENISHMENT_RL_POLICY = str(tmp_path / "p.pt")
    services.run_replenishment(as_of=AS_OF, products=[pa], warehouses=[w1])
    s = _pending(pa, w1)
    # demand ~5 a day, 7-day review -> ~35 per period -> one order unit = 35 / 5 = ~7 units
    unit = float(agent.order_unit(s.forecast_over_lead_time / 2))
    assert s.method == "rl" and "learned policy chose" in s.explanation
    assert s.quantity == pytest.approx(7 * unit, abs=1)
