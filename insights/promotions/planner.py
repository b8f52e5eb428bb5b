"""Promotion what-if and post-promotion review (the Django side of promotion planning).

what_if(): for products x warehouses, dates and a discount, the units with and without the
promotion (with an 80 % interval), revenue and margin effects, the stock needed and the order
to place before it starts given the supplier lead time.
review(): after a promotion, the forecast against actual and the measured uplift.

Method, reported as ``method`` in every answer:
- ``forecasting_counterfactual``: the forecasting model's own with/without-promotion forecasts
  (when the forecasting app offers them), scaled to the discount depth;
- ``calibrated_uplift_on_baseline``: the baseline (``baseline_source``: stored forecast, else
  recent non-promotion sales) times the uplift model calibrated on pasta_promo, shrunk towards
  this product's own promotion history.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

import numpy as np
import pandas as pd
from django.utils import timezone

from inventory.models import DEFAULT_LEAD_TIME_DAYS, Product, Warehouse
from inventory.promotions.models import Promotion
from inventory.promotions.selectors import promoted_products
from inventory.selectors import sales_rows, sales_totals
from inventory.selectors import stock_levels_with_on_order

from ..errors import PromotionInputError
from ..forecast_link import default_source, promotion_counterfactual
from ..rules.base import sample_total
from .calibration import REFERENCE_DISCOUNT, calibrated_model, discount_scale, product_effect
from .uplift import find_episodes

MAX_DISCOUNT_PCT = Decimal("90")
MAX_PROMOTION_DAYS = 92
MAX_LEAD_DAYS = 365
DRAWS = 4000
HISTORY_DAYS = 730


# --- input ----------------------------------------------------------------------------------

def _as_date(value, field):
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise PromotionInputError(f"{field} must be a date (YYYY-MM-DD), got {value!r}", field) from None


def validate(products, warehouses, start_date, end_date, discount_pct, today=None):
    """Normalise what-if input or raise PromotionInputError naming the field."""
    today = today or timezone.localdate()
    start, end = _as_date(start_date, "start_date"), _as_date(end_date, "end_date")
    if end < start:
        raise PromotionInputError(f"end_date {end} is before start_date {start}", "end_date")
    if (end - start).days + 1 > MAX_PROMOTION_DAYS:
        raise PromotionInputError(f"a promotion may last at most {MAX_PROMOTION_DAYS} days", "end_date")
    if start < today:
        raise PromotionInputError(f"start_date {start} is in the past (today is {today}); use review() "
                                  "for promotions that have run", "start_date")
    if (start - today).days > MAX_LEAD_DAYS:
        raise PromotionInputError(f"start_date is more than {MAX_LEAD_DAYS} days ahead", "start_date")
    try:
        d = Decimal(str(discount_pct))
    except (InvalidOperation, ValueError):
        raise PromotionInputError(f"discount_pct must be a number, got {discount_pct!r}", "discount_pct") from None
    if not d.is_finite() or d < 0 or d > MAX_DISCOUNT_PCT:
        raise PromotionInputError(f"discount_pct must be between 0 and {MAX_DISCOUNT_PCT}, got {discount_pct}",
                                  "discount_pct")
    if not products:
        raise PromotionInputError("products is empty: name at least one product", "products")
    prods = _resolve(Product, products, "sku", "products")
    whs = _resolve(Warehouse, warehouses, "code", "warehouses") if warehouses else \
        list(Warehouse.objects.filter(active=True))
    if not whs:
        raise PromotionInputError("no warehouse given and none is active", "warehouses")
    return prods, whs, start, end, float(d) / 100.0, today


def _resolve(model, refs, code_field, field):
    refs = list(refs)
    ids = [r for r in refs if isinstance(r, int) or (isinstance(r, str) and r.isdigit())]
    codes = [r for r in refs if r not in ids]
    found = list(model.objects.filter(pk__in=[int(i) for i in ids])) + \
        list(model.objects.filter(**{f"{code_field}__in": codes}))
    known = {str(o.pk) for o in found} | {getattr(o, code_field) for o in found}
    missing = [r for r in refs if str(r) not in known]
    if missing:
        raise PromotionInputError(f"unknown {field[:-1]}(s): {', '.join(map(str, missing))}", field)
    return sorted({o.pk: o for o in found}.values(), key=lambda o: o.pk)


# --- history --------------------------------------------------------------------------------

def _series(product_id, warehouse_id, until: date, days: int = HISTORY_DAYS) -> pd.DataFrame:
    rows = sales_rows(until - timedelta(days=days), until - timedelta(days=1), pairs=[(product_id, warehouse_id)],
                      fields=("date", "units", "on_promotion"))[["date", "units", "on_promotion"]]
    if rows.empty:
        return pd.DataFrame(columns=["date", "units", "on_promotion"])
    grid = pd.DataFrame({"date": [rows["date"].min() + timedelta(i) for i in range((until - rows["date"].min()).days)]})
    out = grid.merge(rows, on="date", how="left")
    out["units"] = out["units"].fillna(0.0).astype(float)
    out["on_promotion"] = out["on_promotion"].astype("boolean").fillna(False).astype(bool)
    return out


def _episodes(s: pd.DataFrame, group: str) -> pd.DataFrame:
    if s.empty:
        return pd.DataFrame(columns=["series", "group", "start", "length", "units", "base_rate", "gap",
                                     "group_share", "measured"])
    y = s["units"].to_numpy(float)[None, :]
    promo = s["on_promotion"].astype(bool).to_numpy(float)[None, :]
    return find_episodes(y, promo, pd.DatetimeIndex(pd.to_datetime(s["date"])), ["p"], [group])


def _days_since_last_promo(s: pd.DataFrame, start: date) -> int:
    on = s[s["on_promotion"].astype(bool)]
    return 365 if on.empty else min((start - on["date"].max()).days, 365)


def _category_share(product: Product, products: list[Product], warehouse: Warehouse, start, end) -> float:
    """Share of the product's category (other products) on promotion at the same time."""
    if product.category_id is None:
        return 0.0
    others = set(Product.objects.filter(category_id=product.category_id, active=True).exclude(pk=product.pk)
                 .values_list("pk", flat=True))
    if not others:
        return 0.0
    on = {p.pk for p in products} & others
    on |= promoted_products(others, warehouse, start, end)
    return len(on) / len(others)


# --- what-if --------------------------------------------------------------------------------

@dataclass
class PairPlan:
    """Draws for one product x warehouse: demand before the start, baseline demand during the
    promotion, and the log-uplift at the reference discount (>= 0 per draw). Common random numbers
    (fixed seeds) make every discount see the same draws, so answers are monotone in the discount."""

    during: np.ndarray
    before: np.ndarray
    log_ref_draws: np.ndarray
    method: str
    n_history: int

    def units_with(self, discount: float) -> np.ndarray:
        return self.during * np.exp(discount_scale(discount) * self.log_ref_draws)


def plan_pair(model, p, w, prods, start, end, today, q, counterfactual=None, seed: int = 12345) -> PairPlan:
    days = (end - start).days + 1
    offset = (start - today).days
    if q.values.shape[0] < offset + days:
        raise PromotionInputError(f"the forecast covers {q.values.shape[0]} days, the plan needs {offset + days}",
                                  "end_date")
    before = sample_total(q.values[:offset], q.levels, np.full(DRAWS, offset), seed=seed) \
        if offset > 0 else np.zeros(DRAWS)
    during = sample_total(q.values[offset:offset + days], q.levels, np.full(DRAWS, days), seed=seed + 1)
    base_rate = float(q.values[offset:offset + days].mean())
    hist = _series(p.pk, w.pk, today)
    u_mean, u_sd, n_hist = product_effect(model, _episodes(hist, f"category:{p.category_id}"))
    feat = pd.DataFrame([{"series": "__new__", "group": "__new__", "length": days,
                          "gap": _days_since_last_promo(hist, start),
                          "group_share": _category_share(p, prods, w, start, end), "base_rate": base_rate}])
    # Never beyond the largest uplift the calibration itself predicted: the product effect is
    # shrunk but unbounded, and a log-linear model should not extrapolate past its data.
    ref_log = min(float(model.log_multiplier(feat)[0]) + u_mean, model.max_log_multiplier)
    method = "calibrated_uplift_on_baseline"
    if counterfactual is not None:
        # The stored forecast already contains the saved promotion: its draws are "with"; scale
        # them back to "without", and take the model's own uplift, converted from the saved
        # promotion's discount to the reference discount so that any depth can be asked.
        method = "forecasting_counterfactual"
        ratio = counterfactual["without_mean"] / max(counterfactual["with_mean"], 1e-9)
        during = during * ratio
        model_log = float(np.log(max(counterfactual["with_mean"], 1e-9) / max(counterfactual["without_mean"], 1e-9)))
        saved = discount_scale(counterfactual.get("discount") or 0.0)
        ref_log = model_log / saved if saved > 0 else model_log
    rng = np.random.default_rng(seed + 2)
    spread = math.sqrt(u_sd ** 2 + model.residual_sd ** 2)
    # A discount never lowers this product's own demand: clamp each draw's log-uplift at 0.
    log_ref = np.clip(ref_log + spread * rng.standard_normal(DRAWS), 0, None)
    return PairPlan(during, before, log_ref, method, n_hist)


def _interval(draws: np.ndarray) -> dict:
    return {"mean": round(float(draws.mean()), 2), "p10": round(float(np.quantile(draws, 0.1)), 2),
            "p50": round(float(np.quantile(draws, 0.5)), 2), "p90": round(float(np.quantile(draws, 0.9)), 2)}


def what_if(products, warehouses, start_date, end_date, discount_pct, *, today=None, source=None,
            service_level: float = 0.9) -> dict:
    prods, whs, start, end, discount, today = validate(products, warehouses, start_date, end_date, discount_pct,
                                                       today)
    model, meta = calibrated_model()
    source = source or default_source()
    horizon = (end - today).days + 1
    pairs = {(p.pk, w.pk) for p in prods for w in whs}
    quantiles = source.daily_quantiles(pairs, today, horizon)
    counterfactual = promotion_counterfactual(pairs, start, end)
    levels = {(s.product_id, s.warehouse_id): s for s in stock_levels_with_on_order().filter(
        product__in=prods, warehouse__in=whs)}
    lines, notes = [], []
    for p in prods:
        price, cost = float(p.price), float(p.unit_cost)
        for w in whs:
            key = (p.pk, w.pk)
            q = quantiles.get(key)
            if q is None:
                notes.append(f"{p.sku}@{w.code}: no forecast and too little sales history; skipped")
                continue
            plan = plan_pair(model, p, w, prods, start, end, today, q, (counterfactual or {}).get(key))
            during, before, log_ref_draws = plan.during, plan.before, plan.log_ref_draws
            method, n_hist = plan.method, plan.n_history
            with_promo = plan.units_with(discount)
            mult = np.exp(discount_scale(discount) * log_ref_draws)
            level = levels.get(key)
            available = float(level.available_units) if level else 0.0
            on_order = float(level.on_order) if level else 0.0
            need = float(np.quantile(before + with_promo, service_level))
            shortfall = max(need - available - on_order, 0.0)
            order = _round_order(shortfall, p)
            sup = p.supplier
            lead = float(sup.lead_time_mean_days) + 1.2816 * float(sup.lead_time_std_days) if sup else DEFAULT_LEAD_TIME_DAYS
            order_by = start - timedelta(days=math.ceil(lead))
            mean_without, mean_with = float(during.mean()), float(with_promo.mean())
            promo_price = price * (1 - discount)
            lines.append({
                "product": p.sku, "product_id": p.pk, "warehouse": w.code, "warehouse_id": w.pk,
                "method": method, "baseline_source": q.name,
                "units_without": _interval(during), "units_with": _interval(with_promo),
                "uplift": {"multiplier_mean": round(float(mult.mean()), 3),
                           "multiplier_p10": round(float(np.quantile(mult, 0.1)), 3),
                           "multiplier_p90": round(float(np.quantile(mult, 0.9)), 3),
                           "incremental_units": round(mean_with - mean_without, 2),
                           "product_promotions_in_history": n_hist},
                "revenue_without": round(mean_without * price, 2), "revenue_with": round(mean_with * promo_price, 2),
                "margin_without": round(mean_without * (price - cost), 2),
                "margin_with": round(mean_with * (promo_price - cost), 2),
                "stock": {"available": available, "on_order": on_order,
                          "demand_until_end_p%d" % round(service_level * 100): round(need, 1),
                          "shortfall": round(shortfall, 1)},
                "order": {"quantity": order, "order_by": order_by.isoformat(), "lead_time_days": round(lead, 1),
                          "too_late": bool(order and order_by < today)},
            })
    if not lines:
        raise PromotionInputError("no product x warehouse has a forecast or enough sales history to plan on",
                                  "products")
    totals = {k: round(sum(line[k] for line in lines), 2)
              for k in ("revenue_without", "revenue_with", "margin_without", "margin_with")}
    totals["units_without"] = round(sum(line["units_without"]["mean"] for line in lines), 1)
    totals["units_with"] = round(sum(line["units_with"]["mean"] for line in lines), 1)
    totals["incremental_margin"] = round(totals["margin_with"] - totals["margin_without"], 2)
    return {
        "start_date": start.isoformat(), "end_date": end.isoformat(), "discount_pct": round(discount * 100, 2),
        "methods": sorted({line["method"] for line in lines}), "lines": lines, "totals": totals, "notes": notes,
        "assumptions": {
            "calibration": meta.get("source"), "reference_discount_pct": REFERENCE_DISCOUNT * 100,
            "discount_scaling": "constant elasticity from the calibrated uplift at the reference discount "
                                "(pasta_promo has promotion flags, not depths)",
            "interval": "80 % (p10-p90) over demand noise and uplift uncertainty",
            "service_level_for_stock": service_level,
        },
    }


def _round_order(units: float, product: Product) -> int:
    # The same rounding as replenishment.policies.round_order (up to the minimum order, then
    # up to whole packs), for one scalar: insights sits beside replenishment and may not import it.
    if units <= 0:
        return 0
    qty = max(math.ceil(units), product.minimum_order)
    pack = max(product.pack_size or 1, 1)
    return int(math.ceil(qty / pack) * pack)


# --- after the promotion --------------------------------------------------------------------

def review(promotion: Promotion | int, *, today=None) -> dict:
    """Forecast against actual and measured uplift, once the promotion has ended."""
    promo = promotion if isinstance(promotion, Promotion) else Promotion.objects.filter(pk=promotion).first()
    if promo is None:
        raise PromotionInputError(f"unknown promotion {promotion}", "promotion")
    today = today or timezone.localdate()
    if promo.end_date >= today:
        raise PromotionInputError(f"promotion {promo.pk} runs until {promo.end_date}; review it after it ends",
                                  "promotion")
    model, _ = calibrated_model()
    days = (promo.end_date - promo.start_date).days + 1
    scale = discount_scale(float(promo.discount_pct) / 100)
    products = list(promo.products.all())
    lines = []
    for p in products:
        for w in promo.warehouses.all():
            hist = _series(p.pk, w.pk, promo.start_date)
            pre = hist.tail(28)
            base_days = pre[~pre["on_promotion"].astype(bool)]
            if len(base_days) < 7:
                lines.append({"product": p.sku, "warehouse": w.code, "note": "fewer than 7 baseline days"})
                continue
            base_rate = float(base_days["units"].mean())
            actual = float(sales_totals(promo.start_date, promo.end_date, product_ids=[p.pk],
                                        warehouse_ids=[w.pk])["units"] or 0)
            u_mean, _, n_hist = product_effect(model, _episodes(hist, f"category:{p.category_id}"))
            feat = pd.DataFrame([{"series": "__new__", "group": "__new__", "length": days,
                                  "gap": _days_since_last_promo(hist, promo.start_date),
                                  "group_share": _category_share(p, products, w, promo.start_date, promo.end_date),
                                  "base_rate": base_rate}])
            ref_log = min(max(float(model.log_multiplier(feat)[0]) + u_mean, 0.0), model.max_log_multiplier)
            predicted_mult = float(np.exp(scale * ref_log))
            expected_without = base_rate * days
            predicted_with = expected_without * predicted_mult
            lines.append({
                "product": p.sku, "warehouse": w.code, "actual_units": actual,
                "baseline_units": round(expected_without, 2), "predicted_units": round(predicted_with, 2),
                "measured_uplift": round(actual / expected_without, 3) if expected_without > 0 else None,
                "predicted_uplift": round(predicted_mult, 3),
                "error_units": round(predicted_with - actual, 2),
                "abs_pct_error": round(abs(predicted_with - actual) / actual, 3) if actual > 0 else None,
                "product_promotions_in_history": n_hist,
            })
    scored = [x for x in lines if "actual_units" in x]
    actual_sum = sum(x["actual_units"] for x in scored)
    return {"promotion": promo.pk, "name": promo.name, "start_date": promo.start_date.isoformat(),
            "end_date": promo.end_date.isoformat(), "discount_pct": float(promo.discount_pct), "lines": lines,
            "wape": round(sum(abs(x["error_units"]) for x in scored) / actual_sum, 3) if actual_sum > 0 else None,
            "baseline": "mean units on non-promotion days of the 28 days before the start"}
