"""One reorder decision per pair: the demand over the protection interval (lead time +
review period), the method's order, the date it must be placed by, and the cut a supplier
budget or a warehouse's free capacity forces on a group of them.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from forecasting.ml import sum_calibration
from inventory.services import units_in_warehouse

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

N_SAMPLES = 4000
MA_PERIODS = 8          # review periods the moving-average method averages over
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


def calibrated_forecast_demand(fc, daily_history, lead_days, lead_std, review_days, seed) -> LeadTimeDemand | None:
    """Interval demand as the run's conformal predictive distribution: centre (the forecast's
    expected sum) + scale (the pair's own spread) x a score drawn from the run's holdout scores
    (forecasting/ml/sum_calibration.py); each sample draws its own lead time. None when the run
    has no calibration (an older run, a too-short history)."""
    rng = np.random.default_rng(seed)
    days = np.clip(np.rint(rng.normal(lead_days, lead_std, N_SAMPLES)) if lead_std > 0 else
                   np.full(N_SAMPLES, round(lead_days)), 0, None).astype(int) + review_days
    table = sum_calibration.score_quantiles(fc.calibration, int(np.median(days)), fc.demand_class)
    if table is None:
        return None
    means = fc.mean if fc.mean.size >= days.max() else np.concatenate(
        [fc.mean, np.repeat(fc.mean[-1:], days.max() - fc.mean.size)])
    centre = np.concatenate([[0.0], np.cumsum(np.maximum(means, 0))])[days]
    spread = sum_calibration.daily_spread(daily_history[None, :])[0] if daily_history is not None else 0.0
    scale = sum_calibration.scale_from(spread, days, centre)
    levels, q = table
    scores = np.interp(rng.random(N_SAMPLES), levels, q)
    out = LeadTimeDemand(np.maximum(centre + scale * scores, 0), source="calibrated_forecast",
                         extended_periods=max(int(days.max()) - fc.mean.size, 0))
    return out


def protection_demand(pair, costs, lead_days, lead_std, history, forecasts, seed):
    """Demand over lead time + review period from the current forecast (calibrated on the run's
    holdout where it can be), else from the sales history (out-of-stock days left out);
    (None, None) when there is neither."""
    if pair.key in forecasts:
        fc = forecasts[pair.key]
        calibrated = calibrated_forecast_demand(fc, history.get(pair.key), lead_days, lead_std, costs.review_days, seed)
        if calibrated is not None:
            return calibrated, ReorderSuggestion.DemandSource.FORECAST
        return LeadTimeDemand.from_quantile_forecast(fc.levels, fc.quantiles, round(lead_days), costs.review_days,
                                                     lead_std, N_SAMPLES, seed), ReorderSuggestion.DemandSource.FORECAST
    hist = history.get(pair.key)
    hist = hist[~np.isnan(hist)] if hist is not None else np.zeros(0)
    if hist.size == 0:
        return None, None
    return LeadTimeDemand.from_history(hist, round(lead_days), costs.review_days, lead_std, N_SAMPLES, seed), \
        ReorderSuggestion.DemandSource.HISTORY


def _review_periods(daily: np.ndarray, review_days: int, count: int) -> np.ndarray:
    """Units sold per review period over the last ``count`` periods (a period holding an
    out-of-stock day is NaN: its sales say nothing about demand)."""
    n = min(count, daily.size // review_days)
    if n == 0:
        return np.zeros(0)
    tail = daily[daily.size - n * review_days:].reshape(n, review_days)
    return tail.sum(1)


def moving_average_demand(daily, lead_days, review_days, seed) -> LeadTimeDemand | None:
    """Protection-interval demand as the normal approximation of the last 8 review periods'
    mean and standard deviation (what the moving-average method orders up to)."""
    per = _review_periods(daily, review_days, MA_PERIODS)
    per = per[~np.isnan(per)]
    if per.size == 0:
        return None
    periods = (round(lead_days) + review_days) / review_days
    mean, std = per.mean() * periods, (per.std(ddof=1) if per.size > 1 else 0.0) * np.sqrt(periods)
    rng = np.random.default_rng(seed)
    return LeadTimeDemand(np.maximum(rng.normal(mean, std, N_SAMPLES), 0), source="moving_average")


def decide(pair: PairInput, history, forecasts, as_of, seed=0) -> Decision | None:
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
        last = _review_periods(daily, costs.review_days, 1) if daily is not None else np.zeros(0)
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
