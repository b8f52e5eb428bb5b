"""Reading the forecasting app's stored forecasts for the alert rules.

- ``StoredForecastSource``: daily quantiles of the current run from today (padded by repeating
  its last week when a lead time reaches beyond the run's horizon), and, for past days, the
  p01/p99 band of the forecast that was *issued before* that day (the latest succeeded run whose
  history ended before it), which is the forecast the business was acting on.
- ``drift_inputs``: the rolling MASE of those issued forecasts over the last ``window`` days
  against the current run's backtest MASE (forecasting stores ``metrics["mase"]``), the same
  scale (one-step naive error of each series' history, as in forecasting.ml.metrics).
- ``default_source``: the quantile source the rules use (these stored forecasts, else history).
- ``request_finetune``: a drift alert asks forecasting for a fine-tuning run.
- ``promotion_counterfactual``: the model's own with/without-promotion totals of a saved promotion.
"""
from __future__ import annotations

import logging
import threading
from datetime import date, timedelta

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from forecasting import tasks as forecast_tasks
from forecasting.ml.base import QUANTILE_NAMES, QUANTILES
from forecasting.ml.metrics import mase
from forecasting.models import Forecast, ForecastRun
from forecasting.selectors import issued_run_for, succeeded_runs
from inventory.promotions.selectors import deepest_discounts
from inventory.selectors import sales_rows

from .rules.drift import DriftInput
from .sources import HistoryQuantileSource, LayeredSource, QuantileRows

log = logging.getLogger(__name__)
PAD_DAYS = 7


class StoredForecastSource:
    name = "forecast"

    def daily_quantiles(self, pairs, start: date, horizon: int) -> dict:
        run = ForecastRun.objects.filter(is_current=True).first()
        if run is None or not pairs:
            return {}
        # Columns, not a dict per row: a whole catalogue's run is a million rows (30,000 pairs x
        # 35 days), read in seconds as tuples and split at the pair boundaries of the ordering.
        rows = list(Forecast.objects.filter(
            run=run, date__gte=start, product_id__in={p for p, _ in pairs},
            warehouse_id__in={w for _, w in pairs}).order_by("product_id", "warehouse_id", "date")
            .values_list("product_id", "warehouse_id", "date", *QUANTILE_NAMES))
        out = {}
        if not rows:
            return out
        product = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        warehouse = np.fromiter((r[1] for r in rows), np.int64, len(rows))
        values = np.array([r[3:] for r in rows], dtype=float)
        bounds = np.flatnonzero((np.diff(product) != 0) | (np.diff(warehouse) != 0)) + 1
        for lo, hi in zip(np.r_[0, bounds], np.r_[bounds, len(rows)]):
            key = (int(product[lo]), int(warehouse[lo]))
            if key not in pairs:
                continue
            if rows[lo][2] != start:
                continue  # the run does not cover today: no opinion rather than a shifted forecast
            q = values[lo:hi]
            name = self.name
            if len(q) < horizon:
                tail = q[-PAD_DAYS:]
                reps = int(np.ceil((horizon - len(q)) / len(tail)))
                q = np.vstack([q, np.tile(tail, (reps, 1))])
                name = f"{self.name} (last week repeated beyond day {hi - lo})"
            out[key] = QuantileRows(q[:horizon], QUANTILES, name)
        return out

    def band(self, pairs, dates) -> dict:
        runs = succeeded_runs()
        frames = []
        for d in dates:
            run_id = issued_run_for(d, runs)
            if run_id is None:
                continue
            frames.append(pd.DataFrame.from_records(Forecast.objects.filter(
                run_id=run_id, date=d, product_id__in={p for p, _ in pairs},
                warehouse_id__in={w for _, w in pairs}).values("product_id", "warehouse_id", "date", "p01", "p99")))
        frames = [f for f in frames if not f.empty]
        if not frames:
            return {}
        allrows = pd.concat(frames)
        return {(p, w): g[["date", "p01", "p99"]].reset_index(drop=True)
                for (p, w), g in allrows.groupby(["product_id", "warehouse_id"]) if (p, w) in pairs}


def drift_inputs(today: date | None = None, window: int = 14, history_days: int = 365) -> list[DriftInput]:
    today = today or timezone.localdate()
    current = ForecastRun.objects.filter(is_current=True).select_related("model_version").first()
    if current is None:
        return []
    backtest = (current.metrics or {}).get("mase")
    if backtest is None and current.model_version is not None:
        backtest = (current.model_version.metrics or {}).get("mase")
    if not backtest:
        return []
    runs = succeeded_runs()
    days = [today - timedelta(days=i) for i in range(window, 0, -1)]
    issued = []
    for d in days:
        run_id = issued_run_for(d, runs)
        if run_id is not None:
            issued.append(pd.DataFrame.from_records(
                Forecast.objects.filter(run_id=run_id, date=d).values("product_id", "warehouse_id", "date", "mean")))
    issued = [f for f in issued if not f.empty]
    if not issued:
        return []
    fc = pd.concat(issued)
    first_day = fc["date"].min()
    sales = sales_rows(first_day - timedelta(days=history_days), today - timedelta(days=1),
                       product_ids=set(fc["product_id"]), warehouse_ids=set(fc["warehouse_id"]))
    if sales.empty:
        return []
    observed_days = sorted(d for d in set(sales["date"]) if d >= first_day)
    if not observed_days:
        return [DriftInput(float("nan"), float(backtest), 0, "mase", str(current.model_version_id or ""))]
    keys = sorted(set(zip(fc["product_id"], fc["warehouse_id"])))
    idx = {k: i for i, k in enumerate(keys)}
    hist_days = pd.date_range(first_day - timedelta(days=history_days), first_day - timedelta(days=1)).date
    win_days = observed_days
    ins = np.full((len(keys), len(hist_days)), np.nan)
    act = np.zeros((len(keys), len(win_days)))
    pred = np.full((len(keys), len(win_days)), np.nan)
    hpos = {d: i for i, d in enumerate(hist_days)}
    wpos = {d: i for i, d in enumerate(win_days)}
    first_sale = sales.groupby(["product_id", "warehouse_id"])["date"].min().to_dict()
    for k, i in idx.items():  # a series exists (zeros count) from its first sale on
        start = first_sale.get(k)
        if start is not None:
            ins[i, [hpos[d] for d in hist_days if d >= start]] = 0.0
    for r in sales.itertuples(index=False):
        i = idx.get((r.product_id, r.warehouse_id))
        if i is None:
            continue
        if r.date in hpos:
            ins[i, hpos[r.date]] = r.units
        elif r.date in wpos:
            act[i, wpos[r.date]] = r.units
    for r in fc.itertuples(index=False):
        if r.date in wpos:
            pred[idx[(r.product_id, r.warehouse_id)], wpos[r.date]] = r.mean
    act = np.where(np.isnan(pred), np.nan, act)
    rolling = float(np.nanmean(mase(act, pred, ins)))
    return [DriftInput(rolling, float(backtest), len(win_days), "mase",
                       f"run {current.pk} / model version {current.model_version_id}")]


def default_source():
    """The stored forecasts when there are any, else the empirical distribution of recent sales.
    ``INSIGHTS_QUANTILE_SOURCE`` (dotted path to a class) replaces both."""
    path = getattr(settings, "INSIGHTS_QUANTILE_SOURCE", None)
    if path:
        return import_string(path)()
    return LayeredSource(StoredForecastSource(), HistoryQuantileSource())


def request_finetune(reason: str) -> dict:
    """Start a forecasting run that fine-tunes the current model on the newest data.

    The run starts from the latest model version (options.start "latest"; forecasting/starts.py
    falls back to the pretrained checkpoint or scratch, and says so, when there is none); we repeat
    the current run's model and horizon and say why in its options. Returns what happened (kept in
    the alert's evidence). With eager tasks (embedded mode) the run goes to a background thread,
    because training must not hold up the check that noticed the drift.
    """
    current = ForecastRun.objects.filter(is_current=True).first()
    kwargs = {"options": {"start": "latest", "reason": reason[:500]}}
    if current is not None:
        kwargs.update(model=current.model_name, horizon=current.horizon)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        def run():
            try:
                forecast_tasks.run_forecast.apply(kwargs=kwargs)
            except Exception:  # noqa: BLE001 - logged; the alert stays open either way
                log.exception("insights: fine-tuning run failed")
            finally:
                connection.close()

        threading.Thread(target=run, daemon=True, name="insights-finetune").start()
        return {"requested": True, "task": "forecasting.tasks.run_forecast", "mode": "background thread",
                "kwargs": kwargs, "at": timezone.now().isoformat()}
    result = forecast_tasks.run_forecast.delay(**kwargs)
    return {"requested": True, "task": "forecasting.tasks.run_forecast", "task_id": result.id, "kwargs": kwargs,
            "at": timezone.now().isoformat()}


def promotion_counterfactual(pairs, start, end) -> dict | None:
    """The forecasting model's own with/without-promotion totals, where it has them.

    The forecasting app builds its panel with the *saved* promotions (inventory.Promotion) and
    stores, per forecast row, the parts of the mean (level, calendar, price, promotion) from
    counterfactual re-predictions. So for a pair that has a saved promotion over [start, end]
    and explained rows for every day of it, ``with`` is the forecast and ``without`` is the
    forecast less its price and promotion parts. Returns {(product_id, warehouse_id):
    {"with_mean", "without_mean", "discount"}} (discount of the saved promotion, 0-1).
    """
    run = ForecastRun.objects.filter(is_current=True).first()
    if run is None or not pairs:
        return {}
    saved = deepest_discounts(pairs, start, end)
    if not saved:
        return {}
    days = (end - start).days + 1
    out = {}
    rows = Forecast.objects.filter(run=run, date__gte=start, date__lte=end,
                                   product_id__in={p for p, _ in saved}, warehouse_id__in={w for _, w in saved}) \
        .values_list("product_id", "warehouse_id", "mean", "explanation")
    acc: dict = {}
    for p, w, mean, expl in rows:
        if (p, w) not in saved:
            continue
        a = acc.setdefault((p, w), [0, 0.0, 0.0, True])
        a[0] += 1
        a[1] += mean
        if not expl:
            a[3] = False
            continue
        a[2] += max(mean - expl.get("price", 0.0) - expl.get("promotion", 0.0), 0.0)
    for key, (n, with_mean, without_mean, explained) in acc.items():
        if n == days and explained and without_mean > 0:
            out[key] = {"with_mean": with_mean, "without_mean": without_mean, "discount": saved[key]}
    return out
