"""The checks: read the database, run the pure rules, apply their verdicts as alerts.

Called by the Celery tasks (hourly by beat, after every import and every forecast run) and
usable directly (tests, management shell). Each check returns ApplyReport.as_dict().
"""
from __future__ import annotations

import functools

import math
from datetime import date, timedelta

import pandas as pd
from django.db.models import Q
from django.utils import timezone

from inventory.import_models import CalendarEvent
from inventory.models import DEFAULT_LEAD_TIME_DAYS, Warehouse
from inventory.promotions.selectors import promotion_dates
from inventory_site import progress
from inventory.selectors import last_sales_day_by_warehouse, sales_rows
from inventory.selectors import stock_levels_with_on_order

from . import services
from .forecast_link import default_source, drift_inputs
from .models import Alert
from .rules import (
    AnomalyInput,
    Assessment,
    OverstockInput,
    StaleInput,
    StockoutInput,
    assess_anomaly,
    assess_overstock,
    assess_stale,
    assess_stockout,
)
from .rules.drift import DriftInput, assess_drift
from .thresholds import ThresholdBook



def _today(today):
    return today or timezone.localdate()


def _reported(name: str):
    """Every alert check says when it starts and what it did (progress lines), however it is called."""
    def wrap(check):
        @functools.wraps(check)
        def run(*args, **kwargs):
            progress.report("alert checks: %s ...", name)
            counts = check(*args, **kwargs)
            done = counts if isinstance(counts, dict) else {}
            progress.report("alert checks: %s done: %s opened, %s updated, %s resolved", name, done.get("opened", 0),
                            done.get("updated", 0), done.get("resolved", 0))
            return counts
        return run
    return wrap


@_reported("stock")
def check_stock(today: date | None = None, source=None, warehouse_ids=None) -> dict:
    """Stock-out risk and overstock for every active product x warehouse with a stock row."""
    today = _today(today)
    source = source or default_source()
    book = ThresholdBook()
    levels = stock_levels_with_on_order().filter(product__active=True, warehouse__active=True) \
        .select_related("product__supplier")
    if warehouse_ids:
        levels = levels.filter(warehouse_id__in=warehouse_ids)
    levels = list(levels)
    leads = {}
    for lv in levels:
        sup = lv.product.supplier
        mean = float(sup.lead_time_mean_days) if sup else DEFAULT_LEAD_TIME_DAYS
        std = float(sup.lead_time_std_days) if sup else 0.0
        leads[(lv.product_id, lv.warehouse_id)] = (mean, std)
    horizon = max([math.ceil(m + 2 * s) + 1 for m, s in leads.values()] + [28])
    quantiles = source.daily_quantiles({k for k in leads}, today, horizon)
    verdicts = []
    for lv in levels:
        key = (lv.product_id, lv.warehouse_id)
        q = quantiles.get(key)
        if q is None:
            continue  # no forecast and too little history: no opinion, leave any alert as it is
        th = book.for_subject(lv.warehouse_id, lv.product.category_id)
        p = lv.product
        mean, std = leads[key]
        verdicts.append(assess_stockout(
            StockoutInput(p.pk, lv.warehouse_id, available=lv.available_units, on_order=lv.on_order,
                          lead_time_days=mean, lead_time_std_days=std, daily_quantiles=q.values,
                          unit_margin=float(p.price - p.unit_cost), levels=q.levels, source=q.name),
            probability=th["stockout_probability"], critical_probability=th["stockout_critical_probability"],
            critical_margin=th["stockout_critical_margin"], seed=p.pk * 7919 + lv.warehouse_id))
        verdicts.append(assess_overstock(
            OverstockInput(p.pk, lv.warehouse_id, on_hand=lv.on_hand, daily_demand=q.values.mean(axis=1),
                           unit_cost=float(p.unit_cost), shelf_life_days=p.shelf_life_days, source=q.name),
            max_days_cover=th["overstock_days_cover"], min_value=th["overstock_min_value"]))
    verdicts += _retired_subjects(["stockout_risk", "overstock"])
    return services.apply_assessments(verdicts).as_dict()


def _retired_subjects(kinds) -> list:
    """Close stock alerts of products or warehouses that were deactivated: nobody checks them any more."""
    stale = Alert.objects.filter(kind__in=kinds, status__in=Alert.ACTIVE_STATUSES).filter(
        Q(product__active=False) | Q(warehouse__active=False))
    return [Assessment(a.kind, a.product_id, a.warehouse_id, False, message="Product or warehouse deactivated.")
            for a in stale]


def calendar_event_dates(start: date, end: date) -> dict:
    """warehouse_id (None = every warehouse) -> dates with a known calendar event (holidays, sport, ...)."""
    out: dict = {}
    for wid, day in CalendarEvent.objects.filter(date__gte=start, date__lte=end).values_list("warehouse_id", "date"):
        out.setdefault(wid, set()).add(day)
    return out


@_reported("anomaly")
def check_anomalies(today: date | None = None, days: int = 7, reference_days: int = 56, source=None,
                    event_dates: set | None = None) -> dict:
    """Demand anomalies on the last ``days`` days of every series that has sales in them.

    Days with a promotion (inventory.Promotion or the sales row's flag) or a calendar event
    (inventory CalendarEvent, global or of the warehouse, plus ``event_dates``) are explained,
    never anomalies; they are also left out of the reference the robust z-score is taken against.
    """
    today = _today(today)
    source = source or default_source()
    start = today - timedelta(days=days)
    frame = sales_rows(start - timedelta(days=reference_days), today - timedelta(days=1), fields=(
        "product_id", "warehouse_id", "date", "units", "on_promotion", "in_stock", "product__category_id"))
    if frame.empty:
        return services.ApplyReport().as_dict()
    recent = frame[frame["date"] >= start]
    pairs = set(zip(recent["product_id"], recent["warehouse_id"]))
    promos = promotion_dates({p for p, _ in pairs}, {w for _, w in pairs}, start - timedelta(days=reference_days),
                             today)
    check_days = [start + timedelta(i) for i in range(days)]
    events = calendar_event_dates(start - timedelta(days=reference_days), today)
    bands = source.band(pairs, check_days)
    book = ThresholdBook()
    verdicts = []
    for (p, w), g in frame.groupby(["product_id", "warehouse_id"]):
        if (p, w) not in pairs:
            continue
        # A day without a row inside the covered span sold nothing: fill it, or zeros never count.
        first = g["date"].min()  # once: inside the comprehension it was a pandas reduction per day
        span = pd.DataFrame({"date": [first + timedelta(i) for i in range((today - first).days)]})
        h = span.merge(g, on="date", how="left")
        h["units"] = h["units"].fillna(0).astype(float)
        h["on_promotion"] = h["on_promotion"].astype("boolean").fillna(False).astype(bool)
        th = book.for_subject(w, g["product__category_id"].iloc[0])
        verdicts.append(assess_anomaly(
            AnomalyInput(int(p), int(w), h, check_days, band=bands.get((p, w)),
                         promotion_dates=promos.get((p, w), set()),
                         event_dates=set(event_dates or ()) | events.get(None, set()) | events.get(w, set())),
            z_threshold=th["anomaly_z"], reference_days=reference_days))
    return services.apply_assessments(verdicts).as_dict()


@_reported("stale")
def check_stale(today: date | None = None) -> dict:
    today = _today(today)
    book = ThresholdBook()
    last = last_sales_day_by_warehouse()
    verdicts = []
    for wh in Warehouse.objects.filter(active=True):
        th = book.for_subject(wh.pk, None)
        verdicts.append(assess_stale(StaleInput(wh.pk, last.get(wh.pk), today),
                                     max_gap_days=int(th["stale_after_days"])))
    # A deactivated warehouse is not expected to send sales: close what it had open.
    for wh in Warehouse.objects.filter(active=False).filter(Q(alerts__kind="stale_data")).distinct():
        verdicts.append(assess_stale(StaleInput(wh.pk, today, today)))
    return services.apply_assessments(verdicts).as_dict()


@_reported("drift")
def check_drift(inputs: list[DriftInput] | None = None) -> dict:
    """Forecast drift for the current model; ``inputs`` default to forecasting's accuracy summary."""
    inputs = drift_inputs() if inputs is None else inputs
    th = ThresholdBook().for_subject(None, None)
    verdicts = [assess_drift(x, margin=th["drift_margin"]) for x in inputs]
    return services.apply_assessments(verdicts).as_dict()


def run_all(today: date | None = None) -> dict:
    return {"stock": check_stock(today), "anomaly": check_anomalies(today), "stale": check_stale(today),
            "drift": check_drift()}
