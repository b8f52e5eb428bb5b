"""The checks: read the database, run the pure rules, apply their verdicts as alerts.

Called by the Celery tasks (hourly by beat, after every import and every forecast run) and
usable directly (tests, management shell). Each check returns ApplyReport.as_dict().
"""
from __future__ import annotations

import functools

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.db.models import Q
from django.utils import timezone

from inventory.import_models import CalendarEvent
from inventory.models import DEFAULT_LEAD_TIME_DAYS, Warehouse
from inventory.pair_index import PairIndex
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
    assess_stockouts,
)
from .rules.anomaly import screen_anomalies
from .rules.drift import DriftInput, assess_drift
from .thresholds import ThresholdBook

STOCK_SEED = 7919  # the stock-out draws: the same stock and forecast give the same alerts



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
    risks, thresholds, verdicts = [], [], []
    for lv in levels:
        key = (lv.product_id, lv.warehouse_id)
        q = quantiles.get(key)
        if q is None:
            continue  # no forecast and too little history: no opinion, leave any alert as it is
        th = book.for_subject(lv.warehouse_id, lv.product.category_id)
        p = lv.product
        mean, std = leads[key]
        risks.append(StockoutInput(p.pk, lv.warehouse_id, available=lv.available_units, on_order=lv.on_order,
                                   lead_time_days=mean, lead_time_std_days=std, daily_quantiles=q.values,
                                   unit_margin=float(p.price - p.unit_cost), levels=q.levels, source=q.name))
        thresholds.append(th)
        verdicts.append(assess_overstock(
            OverstockInput(p.pk, lv.warehouse_id, on_hand=lv.on_hand, daily_demand=q.values.mean(axis=1),
                           unit_cost=float(p.unit_cost), shelf_life_days=p.shelf_life_days, source=q.name),
            max_days_cover=th["overstock_days_cover"], min_value=th["overstock_min_value"]))
    # Every pair at once: pairs with the same lead time share their draws (one matrix product
    # per lead time instead of a Monte-Carlo run per pair; a fixed seed keeps reruns identical).
    verdicts += assess_stockouts(
        risks, probability=[th["stockout_probability"] for th in thresholds],
        critical_probability=[th["stockout_critical_probability"] for th in thresholds],
        critical_margin=[th["stockout_critical_margin"] for th in thresholds], seed=STOCK_SEED)
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

    Every series is screened at once on arrays (rules.anomaly.screen_anomalies, the rule's own
    outlier tests); the rule then judges, one by one, only the series with an outlier or an open
    alert: at 30,000 series the per-series frames were most of the check, and nearly all of them
    ended "no anomaly, nothing open".
    """
    today = _today(today)
    source = source or default_source()
    start = today - timedelta(days=days)
    window = start - timedelta(days=reference_days)
    frame = sales_rows(window, today - timedelta(days=1), fields=(
        "product_id", "warehouse_id", "date", "units", "on_promotion", "in_stock", "product__category_id"))
    if frame.empty:
        return services.ApplyReport().as_dict()
    recent = frame[frame["date"] >= start]
    pairs = sorted(set(zip(recent["product_id"], recent["warehouse_id"])))
    promos = promotion_dates({p for p, _ in pairs}, {w for _, w in pairs}, window, today)
    check_days = [start + timedelta(i) for i in range(days)]
    events = calendar_event_dates(window, today)
    bands = source.band(set(pairs), check_days)
    book = ThresholdBook()
    first_rows = frame.drop_duplicates(["product_id", "warehouse_id"])
    category = dict(zip(zip(first_rows["product_id"], first_rows["warehouse_id"]), first_rows["product__category_id"]))
    thresholds = {key: book.for_subject(key[1], category[key]) for key in pairs}
    extra_events = set(event_dates or ())

    def explained_days(p, w) -> set:
        return extra_events | events.get(None, set()) | events.get(w, set())

    ask = _anomaly_candidates(frame, pairs, window, start, days, reference_days, promos, explained_days, bands,
                              np.array([thresholds[key]["anomaly_z"] for key in pairs]))
    verdicts = []
    for (p, w), g in frame[[key in ask for key in zip(frame["product_id"], frame["warehouse_id"])]].groupby(
            ["product_id", "warehouse_id"]):
        # A day without a row inside the covered span sold nothing: fill it, or zeros never count.
        first = g["date"].min()  # once: inside the comprehension it was a pandas reduction per day
        span = pd.DataFrame({"date": [first + timedelta(i) for i in range((today - first).days)]})
        h = span.merge(g, on="date", how="left")
        h["units"] = h["units"].fillna(0).astype(float)
        h["on_promotion"] = h["on_promotion"].astype("boolean").fillna(False).astype(bool)
        verdicts.append(assess_anomaly(
            AnomalyInput(int(p), int(w), h, check_days, band=bands.get((p, w)),
                         promotion_dates=promos.get((p, w), set()), event_dates=explained_days(p, w)),
            z_threshold=thresholds[(p, w)]["anomaly_z"], reference_days=reference_days))
    report = services.apply_assessments(verdicts)
    report.unchanged += len(pairs) - len(ask)  # screened out: no outlier and nothing open to close
    return report.as_dict()


def _anomaly_candidates(frame, pairs, window, start, days, reference_days, promos, explained_days, bands,
                        z_threshold) -> set:
    """The pairs the anomaly rule must judge: an outlier by screen_anomalies, or an open alert."""
    index = {key: n for n, key in enumerate(pairs)}
    rows = PairIndex(pairs).rows(frame["product_id"].to_numpy(), frame["warehouse_id"].to_numpy())
    keep = rows >= 0
    rows = rows[keep]
    cols = (pd.to_datetime(frame["date"]) - pd.Timestamp(window)).dt.days.to_numpy()[keep]
    width = reference_days + days
    first = np.full(len(pairs), width)
    np.minimum.at(first, rows, cols)
    units = np.where(np.arange(width)[None, :] >= first[:, None], 0.0, np.nan)  # the span of each series
    units[rows, cols] = frame["units"].to_numpy(float)[keep]
    left_out = np.zeros((len(pairs), width), bool)  # promotion and event days are not in the reference
    left_out[rows, cols] |= frame["on_promotion"].fillna(False).to_numpy(bool)[keep]
    day_col = {window + timedelta(i): i for i in range(width)}
    for n, (p, w) in enumerate(pairs):
        for d in set(promos.get((p, w), ())) | explained_days(p, w):
            if d in day_col:
                left_out[n, day_col[d]] = True
    lo = np.full((len(pairs), days), np.nan)
    hi = np.full((len(pairs), days), np.nan)
    for key, band in bands.items():
        if key in index:
            band_cols = np.array([(pd.Timestamp(d).date() - start).days for d in band["date"]])
            ok = (band_cols >= 0) & (band_cols < days)
            lo[index[key], band_cols[ok]] = band["p01"].to_numpy(float)[ok]
            hi[index[key], band_cols[ok]] = band["p99"].to_numpy(float)[ok]
    reference = np.where(left_out, np.nan, units)[:, :reference_days]
    outlier = screen_anomalies(units[:, reference_days:], reference, lo, hi, z_threshold)
    ask = {key for key, hit in zip(pairs, outlier) if hit}
    open_alerts = Alert.objects.filter(kind="demand_anomaly", status__in=Alert.ACTIVE_STATUSES).values_list(
        "product_id", "warehouse_id")
    return ask | ({key for key in open_alerts} & set(pairs))


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
