"""Recommendations staff act on; every one says why.

- push: products whose demand is rising and whose stock can serve the rise;
- clear: overstocked or slow-moving products, with the smallest discount that is expected to
  sell the excess by a target date (the promotion model), or the plain fact that none will;
- substitutes: for a product out of stock in a warehouse, in-stock products of the same
  category, ranked by the text similarity of their names and descriptions and by price.
"""
from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
from django.utils import timezone

from forecasting.ml.text import embed_texts
from inventory.models import Product, StockLevel, Warehouse
from inventory.selectors import stock_levels_with_on_order, units_by_pair

from .errors import RecommendationInputError
from .forecast_link import default_source
from .promotions.calibration import calibrated_model
from .promotions.planner import PairPlan, plan_pair
from .thresholds import ThresholdBook

DISCOUNT_GRID = tuple(range(5, 95, 5))


def _recent_daily(pairs, today, days) -> dict:
    """Mean units per day over the last ``days`` days per pair (missing days are zero sales)."""
    totals = units_by_pair(today - timedelta(days=days), today - timedelta(days=1),
                           product_ids={p for p, _ in pairs}, warehouse_ids={w for _, w in pairs})
    return {k: total / days for k, total in totals.items()}


def _levels(warehouse_ids=None):
    qs = stock_levels_with_on_order().filter(product__active=True, warehouse__active=True)
    return list(qs.filter(warehouse_id__in=warehouse_ids) if warehouse_ids else qs)


def products_to_push(*, today: date | None = None, warehouse_ids=None, horizon: int = 28, min_growth: float = 0.2,
                     source=None, limit: int = 50) -> list[dict]:
    today = today or timezone.localdate()
    levels = _levels(warehouse_ids)
    pairs = {(lv.product_id, lv.warehouse_id) for lv in levels}
    quantiles = (source or default_source()).daily_quantiles(pairs, today, horizon)
    recent = _recent_daily(pairs, today, horizon)
    older = _recent_daily(pairs, today - timedelta(days=horizon), 2 * horizon)
    out = []
    for lv in levels:
        key = (lv.product_id, lv.warehouse_id)
        q = quantiles.get(key)
        if q is None:
            continue
        past = recent.get(key, 0.0)
        if q.name == "history":
            # No forecast: momentum of the last `horizon` days against the `2*horizon` before them.
            ahead, basis = past, f"last {horizon} days against the {2 * horizon} before (no forecast yet)"
            past = older.get(key, 0.0)
        else:
            ahead, basis = float(q.values.mean(axis=1).mean()), f"forecast for the next {horizon} days"
        if past <= 0 or ahead < past * (1 + min_growth):
            continue
        levels_list = [round(x, 3) for x in q.levels]
        need_p90 = float(q.values[:, levels_list.index(0.9)].sum()) if q.name != "history" and 0.9 in levels_list \
            else ahead * horizon * 1.3  # no forecast spread: a 30 % margin over the recent rate
        stock = lv.available_units + lv.on_order
        if stock < need_p90:
            continue
        growth = ahead / past - 1
        out.append({"product": lv.product.sku, "product_id": lv.product_id, "warehouse": lv.warehouse.code,
                    "warehouse_id": lv.warehouse_id, "growth": round(growth, 3), "daily_demand_ahead": round(ahead, 2),
                    "daily_demand_before": round(past, 2), "stock_available_and_on_order": stock,
                    "why": f"Demand up {growth:.0%} ({basis}: {ahead:.1f}/day vs {past:.1f}/day) and "
                           f"{stock} units available or on order cover the next {horizon} days even at the high end "
                           f"({need_p90:.0f})."})
    out.sort(key=lambda r: -r["growth"])
    return out[:limit]


def products_to_clear(*, today: date | None = None, target_date: date | None = None, warehouse_ids=None,
                      slow_days_cover: float | None = None, source=None, limit: int = 50) -> list[dict]:
    """Overstock and slow movers, with the discount that clears the excess by ``target_date``."""
    today = today or timezone.localdate()
    target = target_date or today + timedelta(days=28)
    if target <= today:
        raise RecommendationInputError(f"target_date {target} must be after today ({today})", "target_date")
    if (target - today).days > 92:
        raise RecommendationInputError("target_date may be at most 92 days ahead", "target_date")
    levels = [lv for lv in _levels(warehouse_ids) if lv.on_hand > 0]
    pairs = {(lv.product_id, lv.warehouse_id) for lv in levels}
    horizon = (target - today).days
    quantiles = (source or default_source()).daily_quantiles(pairs, today, horizon + 1)
    book = ThresholdBook()
    model, _ = calibrated_model()
    out = []
    for lv in levels:
        key = (lv.product_id, lv.warehouse_id)
        q = quantiles.get(key)
        if q is None:
            continue
        p = lv.product
        th = book.for_subject(lv.warehouse_id, p.category_id)
        limit_cover = slow_days_cover or th["overstock_days_cover"]
        daily = q.values.mean(axis=1)
        rate = float(daily.mean())
        cover = lv.on_hand / rate if rate > 0 else math.inf
        expiring = p.shelf_life_days is not None and lv.on_hand > rate * p.shelf_life_days
        if cover <= limit_cover and not expiring:
            continue
        # What must go by the target date: everything beyond what a healthy cover would hold then.
        keep = rate * min(limit_cover, p.shelf_life_days or limit_cover)
        excess = max(lv.on_hand - keep, 0.0)
        plan: PairPlan = plan_pair(model, p, lv.warehouse, [p], today, target - timedelta(days=1), today, q)
        # Medians, not means: a clearance plan should work in one case out of two, not only on
        # average over a long right tail of uplift.
        base_sold = float(np.median(plan.during))
        chosen = None
        for d in DISCOUNT_GRID:
            sold = float(np.median(plan.units_with(d / 100)))
            if sold - base_sold >= excess or sold >= lv.on_hand:
                chosen = (d, sold)
                break
        reason = (f"{'no expected demand' if not math.isfinite(cover) else f'{cover:.0f} days of cover'} "
                  f"(limit {limit_cover:g})" + (f"; stock outlives its {p.shelf_life_days}-day shelf life"
                                                 if expiring else ""))
        row = {"product": p.sku, "product_id": p.pk, "warehouse": lv.warehouse.code, "warehouse_id": lv.warehouse_id,
               "on_hand": lv.on_hand, "days_of_cover": None if not math.isfinite(cover) else round(cover, 1),
               "excess_units": round(excess, 1), "excess_value": round(excess * float(p.unit_cost), 2),
               "target_date": target.isoformat(), "method": plan.method}
        if chosen:
            d, sold = chosen
            row.update(action="promote" if d <= 30 else "mark down", discount_pct=d,
                       median_units_by_target=round(sold, 1),
                       why=f"{reason}. A {d}% discount until {target} sells a median {sold:.0f} units "
                           f"against {base_sold:.0f} without it, clearing the {excess:.0f} excess.")
        else:
            sold = float(np.median(plan.units_with(0.9)))
            row.update(action="mark down (will not clear)", discount_pct=90, median_units_by_target=round(sold, 1),
                       why=f"{reason}. Even 90% off sells a median of only {sold:.0f} units against the {excess:.0f} excess "
                           f"by {target}: consider a later date, a transfer or a write-off.")
        out.append(row)
    out.sort(key=lambda r: -r["excess_value"])
    return out[:limit]


def _embed(texts):
    return embed_texts(texts)


def product_text(p: Product) -> str:
    return f"{p.name}. {p.description}".strip()


def substitutes(product, warehouse, *, limit: int = 5, min_available: int = 1, price_weight: float = 0.3,
                embed=None) -> list[dict]:
    """In-stock products of the same category in ``warehouse``, most similar first.

    Score = (1 - price_weight) * cosine similarity of text embeddings + price_weight * price
    closeness (exp(-|log price ratio| / 0.25): equal price 1, +-25 % about 0.37).
    A product with fewer than ``min_available`` units available there is never offered.
    """
    p = _get(Product, product, "sku", "product")
    w = _get(Warehouse, warehouse, "code", "warehouse")
    if min_available < 1:
        raise RecommendationInputError("min_available must be at least 1", "min_available")
    if p.category_id is None:
        return []
    in_stock = StockLevel.objects.filter(warehouse=w, product__category_id=p.category_id, product__active=True) \
        .exclude(product=p).select_related("product")
    cands = [lv for lv in in_stock if lv.available >= min_available]
    if not cands:
        return []
    vecs = (embed or _embed)([product_text(p)] + [product_text(lv.product) for lv in cands])
    vecs = vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-9)
    text_sim = vecs[1:] @ vecs[0]
    price0 = float(p.price)
    rows = []
    for lv, sim in zip(cands, text_sim):
        price = float(lv.product.price)
        closeness = math.exp(-abs(math.log(price / price0)) / 0.25) if price > 0 and price0 > 0 else 0.0
        score = (1 - price_weight) * float(sim) + price_weight * closeness
        rows.append({"product": lv.product.sku, "product_id": lv.product_id, "name": lv.product.name,
                     "available": lv.available, "price": price, "score": round(score, 4),
                     "text_similarity": round(float(sim), 4), "price_closeness": round(closeness, 4),
                     "why": f"Same category, {lv.available} in stock at {w.code}, description similarity "
                            f"{float(sim):.2f}, price {price:.2f} vs {price0:.2f}."})
    rows.sort(key=lambda r: -r["score"])
    return rows[:limit]


def _get(model, ref, code_field, field):
    if isinstance(ref, model):
        return ref
    obj = model.objects.filter(pk=int(ref)).first() if str(ref).isdigit() else None
    obj = obj or model.objects.filter(**{code_field: str(ref)}).first()
    if obj is None:
        raise RecommendationInputError(f"unknown {field}: {ref}", field)
    return obj
