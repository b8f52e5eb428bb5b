"""Reorder suggestions: data in from the inventory and forecasting apps, decisions from the
pure ``policies`` / ``rl`` / ``optimise`` code, suggestions and purchase orders out.

Units: demand and lead times in days; holding cost per unit per review period; shortage
cost per unit short. The *protection interval* of a decision is lead time + review period:
an order placed now must cover demand until the order after it can arrive.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from forecasting import selectors as fsel
from forecasting.ml.base import QUANTILE_NAMES, QUANTILES
from inventory.models import DEFAULT_LEAD_TIME_DAYS, Product, PurchaseOrder, SalesDay, StockLevel, Warehouse
from inventory.selectors import open_order_lines
from inventory.services import OrderLineRequest, create_purchase_order, units_in_warehouse

from .models import ReorderPolicy, ReorderSuggestion
from .optimise import optimise_orders
from .policies import (
    LeadTimeDemand,
    base_stock_level,
    base_stock_order,
    critical_fractile,
    round_order,
    rq_levels,
    rq_order,
    s_s_levels,
    s_s_order,
)

HISTORY_DAYS = 364
DEFAULT_REVIEW_DAYS = 7
ANNUAL_HOLDING_RATE = 0.25
N_SAMPLES = 4000
Method = ReorderPolicy.Method


class ReplenishmentError(ValueError):
    """A request staff must fix (the message names the suggestion or field)."""


# ----------------------------------------------------------------------------- inputs
@dataclass
class PairInput:
    product: Product
    warehouse: Warehouse
    policy: ReorderPolicy | None
    on_hand: int
    on_order: int
    arrivals: list = field(default_factory=list)     # [(expected date, units)]


def rl_policy_path() -> Path:
    default = Path(getattr(settings, "VAR_DIR", Path("var"))) / "models" / "replenishment_rl.pt"
    return Path(getattr(settings, "REPLENISHMENT_RL_POLICY", default))


def _pairs(products=None, warehouses=None) -> list[PairInput]:
    """Every stocked product x warehouse plus every active policy's pair."""
    levels = StockLevel.objects.select_related("product__supplier", "warehouse").filter(
        product__active=True, warehouse__active=True)
    policies = ReorderPolicy.objects.select_related("product__supplier", "warehouse").filter(active=True)
    if products is not None:
        levels, policies = levels.filter(product__in=products), policies.filter(product__in=products)
    if warehouses is not None:
        levels, policies = levels.filter(warehouse__in=warehouses), policies.filter(warehouse__in=warehouses)
    pairs: dict[tuple[int, int], PairInput] = {}
    for lv in levels:
        pairs[(lv.product_id, lv.warehouse_id)] = PairInput(lv.product, lv.warehouse, None,
                                                            int(lv.on_hand - lv.reserved), 0)
    for pol in policies:
        key = (pol.product_id, pol.warehouse_id)
        if key not in pairs:
            pairs[key] = PairInput(pol.product, pol.warehouse, None, 0, 0)
        pairs[key].policy = pol
    lines = (open_order_lines().filter(product_id__in={k[0] for k in pairs}, order__warehouse_id__in={k[1] for k in pairs})
             .values("product_id", "order__warehouse_id", "order__expected_date")
             .annotate(units=Sum(F("quantity_ordered") - F("quantity_received"))))
    for row in lines:
        key = (row["product_id"], row["order__warehouse_id"])
        if key in pairs:
            pairs[key].on_order += int(row["units"])
            pairs[key].arrivals.append((row["order__expected_date"], int(row["units"])))
    return list(pairs.values())


def _history(pairs, as_of: date) -> dict:
    """Daily units sold over the last year per pair, censored (out-of-stock) days as NaN."""
    start = as_of - timedelta(days=HISTORY_DAYS - 1)
    out = {(p.product.pk, p.warehouse.pk): np.zeros(HISTORY_DAYS) for p in pairs}
    first_sale = {}
    rows = SalesDay.objects.filter(product_id__in={k[0] for k in out}, warehouse_id__in={k[1] for k in out},
                                   date__gte=start, date__lte=as_of).values_list(
        "product_id", "warehouse_id", "date", "units", "in_stock")
    for pid, wid, day, units, in_stock in rows:
        key = (pid, wid)
        if key not in out:
            continue
        i = (day - start).days
        out[key][i] = np.nan if in_stock is False else max(units, 0)
        first_sale[key] = min(first_sale.get(key, i), i)
    # before a pair's first record in the window there is no evidence of demand: drop it
    return {k: v[first_sale[k]:] for k, v in out.items() if k in first_sale}


def _forecasts(pairs, as_of: date):
    """Current forecast quantiles per pair from the forecasting app, if it has any."""
    run = fsel.current_run()
    if run is None:
        return None, {}
    products = {p.product.pk for p in pairs}
    rows = (fsel.current_forecasts(start=as_of + timedelta(days=1)).filter(product_id__in=products)
            .values_list("product_id", "warehouse_id", "date", *QUANTILE_NAMES))
    by_pair = defaultdict(list)
    for pid, wid, day, *qs in rows:
        by_pair[(pid, wid)].append(qs)
    return run, {k: (np.asarray(QUANTILES), np.asarray(v, float)) for k, v in by_pair.items()}


# ----------------------------------------------------------------------------- costs
@dataclass
class Costs:
    holding: float          # per unit per review period
    shortage: float         # per unit short
    service_level: float | None
    review_days: int
    ordering: float

    @property
    def fractile(self) -> float:
        return self.service_level if self.service_level is not None else critical_fractile(self.holding, self.shortage)


def costs_for(product: Product, policy: ReorderPolicy | None) -> Costs:
    review = policy.review_period_days if policy else DEFAULT_REVIEW_DAYS
    unit = float(product.unit_cost)
    h = float(policy.holding_cost) if policy and policy.holding_cost is not None else \
        ANNUAL_HOLDING_RATE * unit * review / 365.0
    p = float(policy.shortage_cost) if policy and policy.shortage_cost is not None else \
        max(float(product.price) - unit, 0.1 * unit)
    if h <= 0 and p <= 0:
        h, p = 1.0, 4.0  # nothing priced: an 80 % fractile rather than an undefined one
    return Costs(h, p, policy.service_level if policy else None, review,
                 float(policy.ordering_cost) if policy else 0.0)


# ----------------------------------------------------------------------------- one decision
@dataclass
class Decision:
    pair: PairInput
    method: str
    quantity: int
    wanted: int
    target: float
    demand: LeadTimeDemand
    costs: Costs
    lead_days: float
    source: str
    note: str = ""


def _demand(pair, costs, lead_days, lead_std, history, forecasts, seed):
    key = (pair.product.pk, pair.warehouse.pk)
    if key in forecasts:
        levels, values = forecasts[key]
        return LeadTimeDemand.from_quantile_forecast(levels, values, round(lead_days), costs.review_days,
                                                     lead_std, N_SAMPLES, seed), ReorderSuggestion.DemandSource.FORECAST
    hist = history.get(key)
    hist = hist[~np.isnan(hist)] if hist is not None else np.zeros(0)
    if hist.size == 0:
        return None, None
    return LeadTimeDemand.from_history(hist, round(lead_days), costs.review_days, lead_std, N_SAMPLES, seed), \
        ReorderSuggestion.DemandSource.HISTORY


def _rl_order(pair, costs, lead_days, demand: LeadTimeDemand, as_of):
    """The learned policy's order, or None when no policy has been trained."""
    path = rl_policy_path()
    if not path.exists():
        return None
    agent = _rl_code().agent
    net = _load_net(str(path), path.stat().st_mtime)
    R = costs.review_days
    interval = round(lead_days) + R
    per_period_mean = max(demand.mean * R / interval, 1e-3)
    per_period_std = demand.std * math.sqrt(R / interval)
    L = max(int(round(lead_days / R)), 0)
    obs = np.zeros((1, agent.K_MAX + 1))
    obs[0, 0] = pair.on_hand
    # Open order lines go into the pipeline slot of the review period they arrive in. The
    # trained state has slots 1..L-1 only: later (or, with L <= 1, any) arrivals take the
    # nearest slot, an approximation the explanation does not hide behind.
    for when, units in pair.arrivals:
        k = max(1, math.ceil((when - as_of).days / R)) if when else 1
        obs[0, min(k, L - 1) if L >= 2 else 0] += units
    pol = agent.NetworkPolicy(net, np.array([per_period_mean]), L, costs.shortage, costs.holding,
                              np.array([max(per_period_std / per_period_mean, 0.05)]))
    return int(np.rint(pol.action_index(obs)[0] * agent.order_unit(per_period_mean)))


_NET_CACHE: dict = {}


def _rl_code():
    """The learned policy's code (replenishment.rl.agent and .catalogue), imported on first use:
    it imports torch (seconds), which web processes that only show suggestions never need."""
    from .rl import agent, catalogue

    return SimpleNamespace(agent=agent, catalogue=catalogue)


def _load_net(path: str, mtime: float):
    key = (path, mtime)
    if key not in _NET_CACHE:
        _NET_CACHE.clear()
        _NET_CACHE[key] = _rl_code().agent.load(path)
    return _NET_CACHE[key]


def decide(pair: PairInput, history, forecasts, as_of, seed=0) -> Decision | None:
    product = pair.product
    supplier = product.supplier
    costs = costs_for(product, pair.policy)
    lead_days = float(supplier.lead_time_mean_days) if supplier else DEFAULT_LEAD_TIME_DAYS
    lead_std = float(supplier.lead_time_std_days) if supplier else 0.0
    demand, source = _demand(pair, costs, lead_days, lead_std, history, forecasts, seed)
    if demand is None:
        return None
    method = pair.policy.method if pair.policy else Method.BASE_STOCK
    pack, moq = product.pack_size or 1, max(product.moq, supplier.min_order_qty if supplier else 0)
    position = pair.on_hand + pair.on_order
    note = ""
    S = base_stock_level(demand, costs.holding, costs.shortage, costs.service_level)
    if method == Method.S_S:
        pol = s_s_levels(demand, demand.mean / (round(lead_days) + costs.review_days) * costs.review_days,
                         costs.holding, costs.shortage, costs.ordering, costs.service_level)
        q, target = s_s_order(pol, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), pol.s
        note = f"(s, S) = ({pol.s:.0f}, {pol.S:.0f}): order up to S only when the position is at or below s."
    elif method == Method.RQ:
        pol = rq_levels(demand, demand.mean / (round(lead_days) + costs.review_days) * costs.review_days,
                        costs.holding, max(costs.shortage, 1e-9), costs.ordering, pack)
        q, target = rq_order(pol, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), pol.reorder_point
        note = f"(R, Q): reorder point {pol.reorder_point:.0f}, batch {pol.quantity:.0f} (economic order quantity)."
    elif method == Method.RL:
        raw = _rl_order(pair, costs, lead_days, demand, as_of)
        if raw is None:
            method = Method.BASE_STOCK
            q, target = base_stock_order(S, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), S
            note = "No learned policy has been trained yet, so the base-stock rule decided."
        else:
            q, target = round_order(raw, pack, moq), S
            note = (f"The learned policy chose {raw} units from the pipeline and the item's demand statistics "
                    f"(the base-stock rule would order {base_stock_order(S, pair.on_hand, pair.on_order, pack_size=pack, moq=moq)}).")
    else:  # base-stock and newsvendor both order up to the fractile of protection-interval demand
        q, target = base_stock_order(S, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), S
    return Decision(pair, method, int(q), int(q), float(target), demand, costs, lead_days, source, note)


def explain(d: Decision, quantity: int, as_of: date) -> str:
    p, c = d.pair, d.costs
    interval = round(d.lead_days) + c.review_days
    mean = d.demand.mean
    safety = d.target - mean
    position = p.on_hand + p.on_order
    src = "the current forecast" if d.source == ReorderSuggestion.DemandSource.FORECAST else \
        "the last year of sales (out-of-stock days left out)"
    target = (f"a {c.service_level:.0%} service-level target" if c.service_level is not None else
              f"shortage cost {c.shortage:.2f} per unit against holding cost {c.holding:.2f} per unit per "
              f"{c.review_days}-day review, i.e. a {c.fractile:.0%} chance of no stock-out")
    parts = [
        f"On hand {p.on_hand}, on order {p.on_order} (open purchase orders), so the inventory position is {position}.",
        f"Expected demand over the {d.lead_days:g}-day lead time plus the {c.review_days}-day review period: "
        f"{mean:.1f} units, from {src}.",
        f"Safety stock {safety:.1f} units for {target}; "
        + (f"reorder point {d.target:.0f}." if d.method in (Method.S_S, Method.RQ) else f"order-up-to level {d.target:.0f}."),
    ]
    if d.method in (Method.BASE_STOCK, Method.NEWSVENDOR):
        parts.append(f"Ordering {d.target:.0f} - {position} = {max(d.target - position, 0):.0f}, rounded to "
                     f"{d.wanted} for the pack size {p.product.pack_size} and minimum order "
                     f"{max(p.product.moq, p.product.supplier.min_order_qty if p.product.supplier else 0)}.")
    if d.note:
        parts.append(d.note)
    if quantity != d.wanted:
        parts.append(f"Cut from {d.wanted} to {quantity} units to stay within the purchase budget / free warehouse capacity "
                     f"(the cut is placed where it raises expected cost least).")
    return " ".join(parts)


def _order_by(d: Decision, as_of: date) -> date:
    """Latest order date before the position would dip into safety stock during the lead time."""
    daily = d.demand.mean / max(round(d.lead_days) + d.costs.review_days, 1)
    if daily <= 0:
        return as_of
    position = d.pair.on_hand + d.pair.on_order
    safety = max(d.target - d.demand.mean, 0.0)
    spare = position - safety - daily * d.lead_days
    return as_of + timedelta(days=int(max(spare / daily, 0)))


# ----------------------------------------------------------------------------- the run
def run_replenishment(as_of: date | None = None, budgets: dict | None = None, products=None,
                      warehouses=None, seed: int = 0) -> list[ReorderSuggestion]:
    """Write a fresh pending suggestion for every pair that needs an order; older pending
    suggestions of the same pairs are superseded. ``budgets``: {supplier code: amount}
    caps each supplier x warehouse group's spend (optimise.py splits it across SKUs); a
    warehouse with ``capacity_units`` caps the units that can still come in."""
    as_of = as_of or timezone.localdate()
    pairs = _pairs(products, warehouses)
    history = _history(pairs, as_of)
    run, forecasts = _forecasts(pairs, as_of)
    decisions = []
    for i, pair in enumerate(pairs):
        d = decide(pair, history, forecasts, as_of, seed=seed + i)
        if d is not None:
            decisions.append(d)
    quantities = _apply_constraints(decisions, budgets or {})
    with transaction.atomic():
        ReorderSuggestion.objects.filter(
            status=ReorderSuggestion.Status.PENDING,
            product_id__in=[p.product.pk for p in pairs], warehouse_id__in={p.warehouse.pk for p in pairs},
        ).update(status=ReorderSuggestion.Status.SUPERSEDED)
        out = []
        for d, q in zip(decisions, quantities):
            if q <= 0:
                continue
            y = d.pair.on_hand + d.pair.on_order + q
            out.append(ReorderSuggestion(
                product=d.pair.product, warehouse=d.pair.warehouse, supplier=d.pair.product.supplier,
                policy=d.pair.policy, method=d.method, forecast_run=run if d.source == "forecast" else None,
                demand_source=d.source, as_of=as_of, quantity=q, wanted_quantity=max(d.wanted, q),
                order_by=_order_by(d, as_of), expected_arrival=as_of + timedelta(days=round(d.lead_days)),
                on_hand=d.pair.on_hand, on_order=d.pair.on_order, lead_time_days=d.lead_days,
                forecast_over_lead_time=d.demand.mean, safety_stock=d.target - d.demand.mean,
                target_level=d.target, expected_service_level=float(d.demand.service_level(y)),
                expected_cost=float(d.demand.expected_cost(y, d.costs.holding, d.costs.shortage)),
                unit_cost=d.pair.product.unit_cost, explanation=explain(d, q, as_of)))
        ReorderSuggestion.objects.bulk_create(out)
    return out


def _apply_constraints(decisions: list[Decision], budgets: dict) -> list[int]:
    """Cut quantities where a supplier budget or a warehouse's free capacity binds."""
    qty = [d.wanted for d in decisions]
    free_cap = {}
    groups = defaultdict(list)
    for i, d in enumerate(decisions):
        sup = d.pair.product.supplier
        groups[(sup.code if sup else None, d.pair.warehouse.pk)].append(i)
    for (code, wid), idx in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
        wh = decisions[idx[0]].pair.warehouse
        budget = float(budgets[code]) if code in budgets else np.inf
        if wh.capacity_units is not None and wid not in free_cap:
            incoming = sum(u for d in decisions if d.pair.warehouse.pk == wid for _, u in d.pair.arrivals)
            free_cap[wid] = max(wh.capacity_units - units_in_warehouse(wh) - incoming, 0)
        cap = free_cap.get(wid, np.inf)
        wanted = np.array([qty[i] for i in idx], float)
        cost = np.array([float(decisions[i].pair.product.unit_cost) for i in idx])
        if cost @ wanted <= budget and wanted.sum() <= cap:
            if np.isfinite(cap):
                free_cap[wid] = cap - wanted.sum()
            continue
        ds = [decisions[i] for i in idx]
        plan = optimise_orders(
            [d.demand for d in ds], [d.pair.on_hand + d.pair.on_order for d in ds], cost,
            [d.costs.holding for d in ds], [d.costs.shortage for d in ds], budget=budget, free_capacity=cap,
            pack_size=[d.pair.product.pack_size or 1 for d in ds],
            moq=[max(d.pair.product.moq, d.pair.product.supplier.min_order_qty if d.pair.product.supplier else 0)
                 for d in ds])
        for j, i in enumerate(idx):
            qty[i] = int(min(plan.quantities[j], decisions[i].wanted))
        if np.isfinite(cap):
            free_cap[wid] = cap - sum(qty[i] for i in idx)
    return qty


# ----------------------------------------------------------------------------- staff decisions
def approve_suggestions(suggestion_ids, user=None) -> list[PurchaseOrder]:
    """Turn pending suggestions into draft purchase orders, one per supplier x warehouse,
    all in one transaction (any problem: nothing is written)."""
    ids = list(suggestion_ids)
    if not ids:
        raise ReplenishmentError("Select at least one suggestion to approve.")
    with transaction.atomic():
        sugg = list(ReorderSuggestion.objects.select_for_update(of=("self",)).select_related(
            "product__supplier", "warehouse").filter(pk__in=ids).order_by("pk"))
        missing = set(ids) - {s.pk for s in sugg}
        if missing:
            raise ReplenishmentError(f"Suggestion(s) {sorted(missing)} do not exist.")
        groups = defaultdict(list)
        for s in sugg:
            if s.status != ReorderSuggestion.Status.PENDING:
                raise ReplenishmentError(f"Suggestion {s.pk} ({s.product.sku}) is {s.status}, not pending.")
            supplier = s.product.supplier
            if supplier is None:
                raise ReplenishmentError(f"Suggestion {s.pk}: product {s.product.sku} has no supplier to order from.")
            groups[(supplier.pk, s.warehouse.pk)].append(s)
        orders, now = [], timezone.now()
        for (_, _), group in sorted(groups.items()):
            merged = defaultdict(int)
            for s in group:
                merged[s.product] += s.quantity
            order = create_purchase_order(
                supplier=group[0].product.supplier, warehouse=group[0].warehouse,
                lines=[OrderLineRequest(product=p, quantity=int(q)) for p, q in merged.items()], user=user,
                notes="From reorder suggestions " + ", ".join(str(s.pk) for s in group))
            ReorderSuggestion.objects.filter(pk__in=[s.pk for s in group]).update(
                status=ReorderSuggestion.Status.APPROVED, purchase_order=order, decided_at=now,
                decided_by=user if (user is not None and user.is_authenticated) else None)
            orders.append(order)
        return orders


def reject_suggestions(suggestion_ids, reason: str, user=None) -> int:
    reason = (reason or "").strip()
    if not reason:
        raise ReplenishmentError("A reason is required to reject suggestions.")
    ids = list(suggestion_ids)
    with transaction.atomic():
        qs = ReorderSuggestion.objects.select_for_update().filter(pk__in=ids)
        not_pending = list(qs.exclude(status=ReorderSuggestion.Status.PENDING).values_list("pk", flat=True))
        if not_pending:
            raise ReplenishmentError(f"Suggestion(s) {sorted(not_pending)} are not pending.")
        return qs.update(status=ReorderSuggestion.Status.REJECTED, reject_reason=reason, decided_at=timezone.now(),
                         decided_by=user if (user is not None and user.is_authenticated) else None)


# ----------------------------------------------------------------------------- learned policy
def train_catalogue_policy(lead_times=None, seed: int = 1, as_of: date | None = None, log=print) -> Path:
    """Summarise the catalogue (demand per review period, cv, lead time in periods, p/h)
    and train the global policy on that grid; saved at ``rl_policy_path()``."""
    rl = _rl_code()
    agent, catalogue = rl.agent, rl.catalogue
    as_of = as_of or timezone.localdate()
    pairs = _pairs()
    history = _history(pairs, as_of)
    means, cvs, Ls, ratios = [], [], [], []
    for pair in pairs:
        h = history.get((pair.product.pk, pair.warehouse.pk))
        if h is None:
            continue
        h = h[~np.isnan(h)]
        costs = costs_for(pair.product, pair.policy)
        R = costs.review_days
        if h.size < 2 * R or h.sum() <= 0:
            continue
        per = h[: h.size // R * R].reshape(-1, R).sum(1)
        means.append(per.mean())
        cvs.append(per.std() / max(per.mean(), 1e-9))
        lead = float(pair.product.supplier.lead_time_mean_days) if pair.product.supplier else DEFAULT_LEAD_TIME_DAYS
        Ls.append(max(int(round(lead / R)), 0))
        ratios.append(costs.shortage / max(costs.holding, 1e-9))
    if not means:
        raise ReplenishmentError("No sales history to train a policy on.")
    items = catalogue.profile_grid(means, cvs, lead_times or Ls, ratios)
    net, tlog = catalogue.train_for_items(items, agent.DCLConfig(seed=seed, iterations=1, states_per_item=1500,
                                                                 rollouts=48, fit_steps=3000), log=log)
    path = rl_policy_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    agent.save(net, path, {"items": [vars(i) for i in items], "rounds": tlog.rounds, "as_of": str(as_of)})
    return path
