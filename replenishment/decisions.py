"""One reorder decision per pair: the demand over the protection interval (lead time +
review period), the method's order, the date it must be placed by, and the cut a supplier
budget or a warehouse's free capacity forces on a group of them.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from inventory.services import units_in_warehouse

from .decision_demand import MA_PERIODS, moving_average_demand, protection_demand, review_period_sums
from .inputs import Costs, PairInput, costs_for
from .learned import rl_order
from .models import ReorderPolicy, ReorderSuggestion
from .optimise import optimise_orders
from .policies import (
    LeadTimeDemand,
    base_stock_level,
    base_stock_order,
    round_order,
    rq_levels,
    rq_order,
    s_s_levels,
    s_s_order,
)
from .policies.tuning import tuned_level
from .replays import SafetyFactor

Method = ReorderPolicy.Method


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


def decide(pair: PairInput, history, forecasts, as_of, seed=0, factor: SafetyFactor | None = None) -> Decision | None:
    """``factor``: the cost-tuned safety factor the latest policy replay gives this pair (the
    ``base_stock_tuned`` method's; replays.safety_factor)."""
    product = pair.product
    costs = costs_for(product, pair.policy)
    lead_days, lead_std = pair.lead_days, pair.lead_std
    demand, source = protection_demand(pair, costs, lead_days, lead_std, history, forecasts, seed)
    if demand is None:
        return None
    method = pair.policy.method if pair.policy else Method.BASE_STOCK
    pack, moq = product.pack_size or 1, product.minimum_order
    note = ""
    if demand.extended_periods:
        note = (f"The forecast ends {demand.extended_periods} day(s) before the end of the protection interval; "
                f"those days were taken to be like the forecast's last day. ")
    S = base_stock_level(demand, costs.holding, costs.shortage, costs.service_level)
    if method == Method.S_S:
        pol = s_s_levels(demand, demand.mean / (round(lead_days) + costs.review_days) * costs.review_days,
                         costs.holding, costs.shortage, costs.ordering, costs.service_level)
        q, target = s_s_order(pol, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), pol.s
        note += f"(s, S) = ({pol.s:.0f}, {pol.S:.0f}): order up to S only when the position is at or below s."
    elif method == Method.RQ:
        pol = rq_levels(demand, demand.mean / (round(lead_days) + costs.review_days) * costs.review_days,
                        costs.holding, max(costs.shortage, 1e-9), costs.ordering, pack)
        q, target = rq_order(pol, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), pol.reorder_point
        note += f"(R, Q): reorder point {pol.reorder_point:.0f}, batch {pol.quantity:.0f} (economic order quantity)."
    elif method == Method.MOVING_AVERAGE:
        daily = history.get(pair.key)
        ma = moving_average_demand(daily, lead_days, costs.review_days, seed) if daily is not None else None
        if ma is not None:
            demand, source = ma, ReorderSuggestion.DemandSource.HISTORY
            S = base_stock_level(demand, costs.holding, costs.shortage, costs.service_level)
            note += f"Demand from the mean and spread of the last {MA_PERIODS} review periods of sales. "
        q, target = base_stock_order(S, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), S
    elif method == Method.ORDER_WHAT_SOLD:
        daily = history.get(pair.key)
        last = review_period_sums(daily, costs.review_days, 1) if daily is not None else np.zeros(0)
        sold = float(np.nan_to_num(last).sum())
        q, target = round_order(sold, pack, moq), pair.position + sold
        note += f"Re-orders what sold in the last {costs.review_days}-day review period ({sold:.0f} units). "
    elif method == Method.RL:
        raw = rl_order(pair, costs, lead_days, demand, as_of)
        if raw is None:
            method = Method.BASE_STOCK
            q, target = base_stock_order(S, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), S
            note += "No learned policy has been trained yet, so the base-stock rule decided."
        else:
            q, target = round_order(raw, pack, moq), S
            note += (f"The learned policy chose {raw} units from the pipeline and the item's demand statistics "
                    f"(the base-stock rule would order {base_stock_order(S, pair.on_hand, pair.on_order, pack_size=pack, moq=moq)}).")
    elif method == Method.BASE_STOCK_TUNED:
        if factor is None or demand.centre is None:
            method = Method.BASE_STOCK
            q, target = base_stock_order(S, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), S
            note += ("The latest policy replay tuned no safety factor (it needs a forecast in force during the "
                     "replayed periods and at least 20 pairs), so base-stock at the fractile decided."
                     if factor is None else
                     "The cost-tuned factor multiplies a calibrated forecast's scale, and this pair's demand did "
                     "not come from one, so base-stock at the fractile decided.")
        else:
            tuned = float(tuned_level(demand.centre, demand.scale, factor.value))
            q, target = base_stock_order(tuned, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), tuned
            whose = ("all replayed pairs (pooled: its class had too few pairs, or the replay had not seen it)"
                     if factor.demand_class == "*" else f"the {factor.demand_class} demand class")
            note += (f"Cost-tuned safety factor {factor.value:+.1f}, the one whose replay of the last "
                     f"{factor.run.periods} {'weeks' if factor.run.freq == 'W' else 'days'} to {factor.run.as_of} "
                     f"cost least for {whose}: order up to the forecast's centre {demand.centre:.1f} "
                     f"{'+' if factor.value >= 0 else '-'} {abs(factor.value):.1f} x its scale {demand.scale:.1f} "
                     f"= {tuned:.0f} (at the fractile it would be {S:.0f}).")
    else:  # base-stock and newsvendor both order up to the fractile of protection-interval demand
        q, target = base_stock_order(S, pair.on_hand, pair.on_order, pack_size=pack, moq=moq), S
    return Decision(pair, method, int(q), int(q), float(target), demand, costs, lead_days, source, note)


def order_by(d: Decision, as_of: date) -> date:
    """Latest order date before the position would dip into safety stock during the lead time."""
    daily = d.demand.mean / max(round(d.lead_days) + d.costs.review_days, 1)
    if daily <= 0:
        return as_of
    safety = max(d.target - d.demand.mean, 0.0)
    spare = d.pair.position - safety - daily * d.lead_days
    return as_of + timedelta(days=int(max(spare / daily, 0)))


def apply_constraints(decisions: list[Decision], budgets: dict) -> list[int]:
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
            [d.demand for d in ds], [d.pair.position for d in ds], cost,
            [d.costs.holding for d in ds], [d.costs.shortage for d in ds], budget=budget, free_capacity=cap,
            pack_size=[d.pair.product.pack_size or 1 for d in ds], moq=[d.pair.product.minimum_order for d in ds])
        for j, i in enumerate(idx):
            qty[i] = int(min(plan.quantities[j], decisions[i].wanted))
        if np.isfinite(cap):
            free_cap[wid] = cap - sum(qty[i] for i in idx)
    return qty
