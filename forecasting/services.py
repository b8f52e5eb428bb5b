"""Glue between the database and ``forecasting.ml``: build the panel from SalesDay/Product/
Promotion, train or fine-tune a ModelVersion, predict one shard, make a run current.

Every series is one (product, warehouse) pair, ``unique_id = "<product_id>:<warehouse_id>"``.
Pairs with a StockLevel row but no sales yet are included: they get cold-start forecasts
from their description, category and price.
"""
from __future__ import annotations

import logging
import traceback
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from forecasting.ml.backtest import score
from forecasting.ml.baselines import SBA, TSB, Croston, MovingAverage, Naive, SeasonalNaive
from forecasting.ml.classify import classify
from forecasting.ml.data import DataError, Panel
from forecasting.ml.explain import COMPONENTS, explain
from forecasting.ml import sum_calibration

if TYPE_CHECKING:  # importing train imports torch (seconds): web processes pay it on first use only
    from forecasting.ml.train import TrainConfig

from inventory.import_models import CalendarEvent
from inventory.models import Product, StockLevel
from inventory.promotions.selectors import planned as planned_promotions
from inventory.selectors import last_sales_day, pairs_with_sales
from inventory_site import progress
from inventory_site.heartbeat import STALE_AFTER_S, last_sign_of_life

from . import retention
from .history import daily_panel, uid
from .rows import write_rows
from .models import START_REQUESTS, Forecast, ForecastRun, ModelVersion, Start

log = logging.getLogger(__name__)

GLOBAL_MODELS = {"global_tide": "tide", "global_lstm": "lstm"}
BASELINES = {"naive": Naive, "seasonal_naive": SeasonalNaive, "moving_average": MovingAverage,
             "croston": Croston, "sba": SBA, "tsb": TSB}
MODEL_CHOICES = tuple(GLOBAL_MODELS) + tuple(BASELINES)


class ForecastError(RuntimeError):
    pass


class RunInProgress(ForecastError):
    """Another run of the catalogue is queued or running."""


# ----------------------------------------------------------------------------- the panel

def series_keys(product_ids=None) -> list[tuple[int, int]]:
    """All (product, warehouse) pairs to forecast: those with sales or a stock level, active products only."""
    active = set(Product.objects.filter(active=True).values_list("id", flat=True))
    pairs = pairs_with_sales()
    pairs |= set(StockLevel.objects.values_list("product_id", "warehouse_id"))
    keys = sorted(p for p in pairs if p[0] in active)
    if product_ids is not None:
        keep = set(product_ids)
        keys = [k for k in keys if k[0] in keep]
    return keys


def build_panel(keys: list[tuple[int, int]], as_of: date, horizon: int) -> Panel:
    """Panel over the history up to ``as_of`` plus ``horizon`` future days with planned
    promotions and prices.  Days without a SalesDay row inside a series' span are zero sales;
    days out of stock (``SalesDay.in_stock`` False, or empty all day in the stock ledger) are
    unobserved: their sales were capped by an empty shelf, so they say nothing about demand."""
    if not keys:
        raise DataError("no (product, warehouse) series to forecast: the catalogue has no sales and no stock levels")
    pids = sorted({k[0] for k in keys})
    products = {p.id: p for p in Product.objects.filter(id__in=pids).select_related("category")}
    statics = pd.DataFrame({
        "unique_id": [uid(*k) for k in keys],
        "category": [(products[k[0]].category.code if products[k[0]].category else "unknown") for k in keys],
        "description": [f"{products[k[0]].name}. {products[k[0]].description}".strip() for k in keys],
    })
    panel = daily_panel(keys, as_of, statics)
    # price: the day's average price where sold, else the product's list price
    list_price = np.array([float(products[k[0]].price or 0) or np.nan for k in _keys_of(panel)], np.float32)
    panel.price = np.where(np.isnan(panel.price), list_price[:, None], panel.price).astype(np.float32)
    ext = panel.extend(horizon)
    # calendar events (global or per warehouse) and SNAP-type days
    grid = ext.dates
    wh_of = np.array([k[1] for k in _keys_of(ext)])
    # Only the events of these warehouses (or global ones), located on the grid in one call:
    # a live forecast of one series must not pay for every store's calendar.
    events = list(
        CalendarEvent.objects.filter(date__gte=grid[0].date(), date__lte=grid[-1].date())
        .filter(Q(warehouse_id__isnull=True) | Q(warehouse_id__in=set(wh_of.tolist())))
        .values_list("date", "event_type", "warehouse_id")
    )
    columns = grid.get_indexer(pd.to_datetime([day for day, _, _ in events])) if events else []
    for (day, event_type, warehouse_id), c in zip(events, columns):
        if c < 0:
            continue
        target = ext.snap if "snap" in (event_type or "").lower() else ext.event
        rows_ = slice(None) if warehouse_id is None else (wh_of == warehouse_id)
        target[rows_, c] = 1.0
    # planned promotions over the horizon (and their discounted price)
    first_future = ext.n_obs
    promos = planned_promotions(as_of + timedelta(days=1), grid[-1].date())
    pos = {u: i for i, u in enumerate(ext.ids)}
    for pr in promos:
        d0 = max(ext.dates.get_indexer([pd.Timestamp(max(pr.start_date, as_of + timedelta(days=1)))])[0], first_future)
        d1 = ext.dates.get_indexer([pd.Timestamp(min(pr.end_date, grid[-1].date()))])[0]
        if d0 < 0 or d1 < 0:
            continue
        for p in pr.products.all():
            for w in pr.warehouses.all():
                r = pos.get(uid(p.id, w.id))
                if r is None:
                    continue
                ext.promo[r, d0:d1 + 1] = 1.0
                if pr.discount_pct:
                    ext.price[r, d0:d1 + 1] = float(p.price) * (1 - float(pr.discount_pct) / 100)
    ext.extra["keys"] = _keys_of(ext)
    return ext


def _keys_of(panel: Panel) -> list[tuple[int, int]]:
    return [tuple(int(x) for x in u.split(":")) for u in panel.ids]


# ----------------------------------------------------------------------------- training

# What a forecast run's ``options["train"]`` may set, and within which bounds: a run is started by
# a planner through the API, and an unbounded batch size, epoch count or time budget would let one
# request hold a worker (or its GPU memory) for as long as it likes.
TRAIN_OPTION_BOUNDS = {
    "seed": (0, 2**31 - 1), "batch_size": (1, 4096), "lr": (1e-6, 1.0), "weight_decay": (0.0, 1.0),
    "max_epochs": (1, 1000), "batches_per_epoch": (1, 1000), "patience": (1, 1000),
    "finetune_epochs": (1, 1000), "finetune_lr_scale": (0.01, 1.0), "finetune_warmup_steps": (0, 100_000),
    "finetune_blend": (0.0, 1.0),
    "cold_dropout": (0.0, 1.0), "item_dropout": (0.0, 1.0), "mse_weight": (0.0, 10.0),
    "ema_decay": (0.0, 0.9999), "target_coverage": (0.5, 0.99), "volume_power": (0.0, 2.0),
    "max_seconds": (1.0, 6 * 3600.0),
}
TRAIN_OPTION_CHOICES = {"device": {None, "cpu", "cuda"}, "mask_stockouts": {True, False, "both"},
                        "calibrate": {True, False}}


def validate_train_options(train: dict) -> dict:
    """The training overrides of a run, checked; ForecastError names the first bad one."""
    if not isinstance(train, dict):
        raise ForecastError("options.train must be an object of training settings")
    for name, value in train.items():
        if name in TRAIN_OPTION_CHOICES:
            if value not in TRAIN_OPTION_CHOICES[name] or (isinstance(value, (int, float)) and not isinstance(value, bool)
                                                           and name != "device"):
                raise ForecastError(f"options.train.{name}: one of {sorted(map(str, TRAIN_OPTION_CHOICES[name]))}, "
                                    f"got {value!r}")
        elif name == "mean_huber_delta":
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not 0 < value <= 1e6):
                raise ForecastError(f"options.train.mean_huber_delta: null or a number in (0, 1e6], got {value!r}")
        elif name in TRAIN_OPTION_BOUNDS:
            lo, hi = TRAIN_OPTION_BOUNDS[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
                raise ForecastError(f"options.train.{name}: a number from {lo:g} to {hi:g}, got {value!r}")
        else:
            raise ForecastError(f"options.train.{name}: not a training setting (known: "
                                f"{', '.join(sorted([*TRAIN_OPTION_BOUNDS, *TRAIN_OPTION_CHOICES, 'mean_huber_delta']))})")
    return train


# What a run's options may hold (besides "train", checked by validate_train_options).
RUN_FLAG_OPTIONS = ("use_text", "explain")
REASON_MAX = 500


def validate_run_options(options) -> dict:
    """A run's options, checked; ForecastError names the first bad one."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise ForecastError("options must be an object")
    for name, value in options.items():
        if name == "train":
            validate_train_options(value)
        elif name in RUN_FLAG_OPTIONS:
            if not isinstance(value, bool):
                raise ForecastError(f"options.{name}: true or false, got {value!r}")
        elif name == "start":
            if value not in START_REQUESTS:
                raise ForecastError(f"options.start: one of {', '.join(START_REQUESTS)}, got {value!r}")
        elif name == "finetune":  # replaced: a client still sending it hears what to send instead
            raise ForecastError("options.finetune: replaced by options.start ('latest' fine-tunes the latest "
                                "version, 'scratch' trains from scratch, 'auto' chooses)")
        elif name == "reason":
            if not isinstance(value, str) or len(value) > REASON_MAX:
                raise ForecastError(f"options.reason: a text of at most {REASON_MAX} characters")
        else:
            raise ForecastError(f"options.{name}: not a run option (known: train, start, "
                                f"{', '.join(RUN_FLAG_OPTIONS)}, reason)")
    return options


def _model_code():
    """forecasting.ml.train, imported on first use: it imports torch (seconds), which web
    processes that only read forecasts never need."""
    from forecasting.ml import train as model_code

    return model_code


def _train_config(options: dict) -> TrainConfig:
    overrides = validate_train_options(options.get("train") or {})
    for name in ("seed", "batch_size", "max_epochs", "batches_per_epoch", "patience", "finetune_epochs",
                 "finetune_warmup_steps"):
        if name in overrides:
            overrides[name] = int(overrides[name])
    return _model_code().TrainConfig(**overrides)


def train(run: ForecastRun) -> ModelVersion | None:
    """Backtest on the last horizon, then fit on all data and store a ModelVersion. Where the
    weights start from (the latest version, the pretrained checkpoint, or scratch) is
    forecasting/starts.py's rule; the run records it. Baseline runs store no version but still
    get metrics."""
    # imported here: it imports torch and the checkpoint loader, which only workers need
    from forecasting import starts

    run.refresh_from_db()
    if run.model_version_id is not None:
        # A redelivered task (its worker died after the version was stored): the work is done.
        return run.model_version
    opts = run.options or {}
    H = run.horizon
    keys = series_keys()
    panel = build_panel(keys, run.as_of, H)
    hist = panel.truncate(panel.n_obs)
    if run.model_name in BASELINES:
        model = BASELINES[run.model_name]()
        metrics = _holdout_metrics(hist, model, H, fit=False)
        ForecastRun.objects.filter(pk=run.pk).update(metrics=metrics, device="cpu")
        return None
    arch = GLOBAL_MODELS[run.model_name]
    tc = _train_config(opts)
    use_text = bool(opts.get("use_text", True))
    start = starts.resolve(opts.get("start", "auto"), run.model_name, arch, H)
    _say(run, f"run {run.pk}: {start.told()}")
    if start.kind == "pretrained":
        model, metrics, kind, rule = _from_pretrained(run, hist, start.model, tc, arch, use_text)
        note = f"{rule} ({start.note})"
    else:
        model, metrics = _from_latest_or_scratch(run, hist, start, tc, arch, use_text)
        kind, note = (Start.LATEST if start.kind == "latest" else Start.SCRATCH), start.note
    model.on_epoch = None
    model.metrics = metrics
    return _store_version(run, model, metrics, kind, note, start.version, arch)


def _from_latest_or_scratch(run: ForecastRun, hist: Panel, start, tc: TrainConfig, arch: str, use_text: bool):
    """The model and its holdout metrics, fine-tuned from the latest version or from scratch."""
    GlobalForecaster = _model_code().GlobalForecaster
    H, previous, prev_model = run.horizon, start.version, start.model
    # 1) honest metrics: a model fitted without the last horizon, scored on it
    # (a previous version that already saw the holdout days would flatter the metrics, so the
    # holdout model then starts from scratch)
    holdout_start = hist.dates[hist.n_obs - H].date() if hist.n_obs > H else None
    saw_holdout = previous is not None and holdout_start is not None and previous.data_end is not None \
        and previous.data_end >= holdout_start
    start_from = None if saw_holdout else prev_model
    holdout = GlobalForecaster(H, arch=arch, use_text=use_text, train=tc, name=run.model_name, init_from=start_from)
    holdout.on_epoch = _epoch_reporter(run, "holdout model (scored on the last horizon)")
    if hist.n_obs >= 3 * H + 2:
        metrics = _holdout_metrics(hist, holdout, H, fit=True)
        metrics["holdout_model"] = "fine-tuned" if start_from is not None else "from scratch"
        # how the holdout model treated stock-out runs (each network's validation errors for "both")
        metrics["stockout_masking"] = {"setting": str(holdout.tc.mask_stockouts).lower(),
                                       "members": holdout.report.members}
        # the version we keep adapts the previous version when there is one (its parent)
        base = prev_model if prev_model is not None else holdout
    else:
        metrics = {"note": f"history of {hist.n_obs} days is too short for a {H}-day holdout"}
        base = prev_model
    # 2) the version we forecast with: adapt to the newest data
    model = GlobalForecaster(H, arch=arch, use_text=use_text, train=tc, name=run.model_name, init_from=base)
    model.on_epoch = _epoch_reporter(run, "model on all history")
    model.fit(hist, hist.n_obs)
    return model, metrics


def _from_pretrained(run: ForecastRun, hist: Panel, checkpoint, tc: TrainConfig, arch: str, use_text: bool):
    """The model, its holdout metrics, its start and why, from the pretrained checkpoint: fine-tuned
    when the holdout shows that it beats the checkpoint as it is, else zero-shot
    (forecasting/starts.py states the rule)."""
    from forecasting import starts  # see train()
    from forecasting.ml.trainer import pretrained_finetuning  # imports torch: see train()

    GlobalForecaster = _model_code().GlobalForecaster
    H = run.horizon
    zero_shot_why = starts.pretrained_plan(hist.n_obs, H)
    if zero_shot_why is not None:
        # scored on the last horizon when at least two weeks of history come before it
        metrics = _holdout_metrics(hist, checkpoint, H, fit=False) if hist.n_obs >= H + 14 else {"note": zero_shot_why}
        metrics["holdout_model"] = "the pretrained checkpoint, zero-shot"
        # after the holdout's score, which is the checkpoint's own: the map is fitted on those days
        metrics["quantile_recalibration"] = checkpoint.recalibrate(hist)
        return checkpoint, metrics, Start.PRETRAINED_ZERO_SHOT, zero_shot_why
    zero = _holdout_metrics(hist, checkpoint, H, fit=False)
    tc = pretrained_finetuning(tc, hist.n_obs - H, hist.freq)  # the holdout model's history decides
    holdout = GlobalForecaster(H, arch=arch, use_text=use_text, train=tc, name=run.model_name, init_from=checkpoint)
    holdout.on_epoch = _epoch_reporter(run, "fine-tuned checkpoint (scored on the last horizon)")
    tuned = _holdout_metrics(hist, holdout, H, fit=True)
    zw, tw = zero.get("wrmsse"), tuned.get("wrmsse")
    compared = {"zero_shot_wrmsse": zw, "fine_tuned_wrmsse": tw}
    if starts.keep_fine_tuned(zw, tw):
        model = GlobalForecaster(H, arch=arch, use_text=use_text, train=tc, name=run.model_name, init_from=checkpoint)
        model.on_epoch = _epoch_reporter(run, "checkpoint fine-tuned on all history")
        model.fit(hist, hist.n_obs)
        metrics = {**tuned, "holdout_model": "fine-tuned from the pretrained checkpoint", "start_comparison": compared}
        return model, metrics, Start.PRETRAINED_FINETUNED, (
            f"fine-tuned from the pretrained checkpoint: on the last {H} days it scored WRMSSE {tw} against "
            f"{zw} zero-shot")
    metrics = {**zero, "holdout_model": "the pretrained checkpoint, zero-shot", "start_comparison": compared,
               "quantile_recalibration": checkpoint.recalibrate(hist)}
    return checkpoint, metrics, Start.PRETRAINED_ZERO_SHOT, (
        f"the pretrained checkpoint, zero-shot: on the last {H} days it scored WRMSSE {zw}, fine-tuned {tw}")


def _store_version(run: ForecastRun, model, metrics: dict, start: str, note: str, previous, arch: str):
    """The version and the run's link to it, in one write."""
    blob = model.to_bytes()
    art = model.to_artifact()
    zero_shot = start == Start.PRETRAINED_ZERO_SHOT
    config = {"model": art["model_config"], "train": art["train_config"], "start": start,
              "interval_scale": art["interval_scale"]}
    if zero_shot:  # never trained on this catalogue: its data window is the corpus's, kept here
        config["corpus_window"] = art["data_window"]
    window = {} if zero_shot else art["data_window"]
    with transaction.atomic():
        # A second delivery of this task that got here too (two workers trained at once) keeps
        # the first version only.
        locked = ForecastRun.objects.select_for_update().get(pk=run.pk)
        if locked.model_version_id is not None:
            return locked.model_version
        version = ModelVersion.objects.create(
            name=run.model_name, arch=arch, weights=blob, size_bytes=len(blob), config=config,
            features=art["features"],
            data_start=pd.Timestamp(window["start"]).date() if window else None,
            data_end=pd.Timestamp(window["end"]).date() if window else None, n_series=window.get("n_series", 0),
            metrics=metrics, device=art["device"], seconds=0.0 if zero_shot else art["seconds"],
            parent=previous if start == Start.LATEST else None, start=start,
        )
        ForecastRun.objects.filter(pk=run.pk).update(model_version=version, metrics=metrics, device=art["device"],
                                                      start=start, start_note=note[:500])
    return version


def _holdout_metrics(hist: Panel, model, H: int, fit: bool) -> dict:
    origin = hist.n_obs - H
    if origin < 2:
        return {"note": "history too short for a holdout"}
    if fit:
        model.fit(hist, origin)
    fc = model.predict(hist.truncate(origin), origin, H)
    overall, per = score(hist, fc, origin, H)
    sn = SeasonalNaive().predict(hist.truncate(origin), origin, H)
    sn_overall, _ = score(hist, sn, origin, H)
    classes = classify(hist.y[:, :origin])
    per_class = {}
    for c in np.unique(classes):
        rows = classes == c
        r = per["rmsse"][rows]
        per_class[str(c)] = {"series": int(rows.sum()),
                             "rmsse": None if np.all(np.isnan(r)) else float(np.nanmean(r))}
    clean = {k: (None if v is None or not np.isfinite(v) else round(float(v), 4)) for k, v in overall.items()}
    clean["seasonal_naive_wrmsse"] = None if not np.isfinite(sn_overall["wrmsse"]) else round(sn_overall["wrmsse"], 4)
    # a relative MAE: unlike the mean of per-series MASE it does not explode on intermittent series
    truth = hist.y[:, origin:origin + H]
    model_err, naive_err = np.nansum(np.abs(truth - fc.mean)), np.nansum(np.abs(truth - sn.mean))
    clean["mae_vs_seasonal_naive"] = round(float(model_err / naive_err), 4) if naive_err > 0 else None
    clean["holdout_start"] = str(hist.dates[origin].date())
    clean["per_class"] = per_class
    # the interval-sum calibration reorder decisions use (forecasting/ml/sum_calibration.py)
    clean["decision_calibration"] = sum_calibration.fit(hist.y[:, :origin], fc.mean, hist.y[:, origin:origin + H],
                                                        classes)
    return clean


# ----------------------------------------------------------------------------- predicting

def load_model(run: ForecastRun):
    if run.model_name in BASELINES:
        return BASELINES[run.model_name]()
    if run.model_version_id is None:
        raise ForecastError(f"run {run.pk} has no trained model version")
    return _model_code().GlobalForecaster.from_bytes(bytes(run.model_version.weights))


def shard_keys(keys: list, shard: int, n_shards: int) -> list:
    return keys[shard::n_shards]


def _say(run: ForecastRun, line: str) -> None:
    """A progress line: logged (printed by the demo and the forecast command), and kept on the run
    for its page."""
    progress.report("%s", line)
    ForecastRun.objects.filter(pk=run.pk).update(progress=line[:300])


def _epoch_reporter(run: ForecastRun, what: str):
    def on_epoch(info: dict) -> None:
        done, of = info["epoch"], info["of"]
        member = f", {info['member']}" if info.get("member") else ""
        val = f", validation loss {info['val']:.4f}" if info["val"] is not None else ""
        per_epoch = info["stage_elapsed"] / max(done, 1)  # early stopping may end it sooner
        left = f"at most {progress.duration(min(info['budget_left'], per_epoch * (of - done)))} left"
        _say(run, f"run {run.pk} {what}{member}: {info['stage']} epoch {done}/{of}, loss {info['loss']:.4f}{val}, {left}")
    return on_epoch


def predict_shard(run: ForecastRun, shard: int, n_shards: int, model=None) -> int:
    """Forecast one shard of the series and write its rows.  Idempotent: a retried shard
    first deletes what an earlier attempt of it wrote."""
    GlobalForecaster = _model_code().GlobalForecaster
    keys = shard_keys(series_keys(), shard, n_shards)
    if not keys:
        _shard_done(run)
        return 0
    H = run.horizon
    panel = build_panel(keys, run.as_of, H)
    model = model or load_model(run)
    fc = model.predict(panel, panel.n_obs, H)
    classes = classify(panel.y[:, :panel.n_obs])
    expl = None
    if isinstance(model, GlobalForecaster) and (run.options or {}).get("explain", True):
        expl = explain(model, panel, panel.n_obs)[list(COMPONENTS)].to_numpy(np.float64).round(4)
    dates = [d.date() for d in fc.dates]
    with transaction.atomic():
        Forecast.objects.filter(run_id=run.pk, shard=shard).delete()
        written = write_rows(run.pk, shard, _keys_of(panel), dates, fc.mean, fc.quantiles, classes, expl, COMPONENTS)
        _shard_done(run)
    _say(run, f"run {run.pk}: shard {shard + 1} of {n_shards} written ({len(keys):,} series, {written:,} rows)")
    return written


def _shard_done(run: ForecastRun) -> None:
    """Count the shards that have written their rows (a redelivered shard rewrites its own, so it
    counts once). The run's row lock orders concurrent shards: each counts after the one before
    committed. Every shard has at least one series (n_shards <= series), so rows mean done."""
    ForecastRun.objects.select_for_update().filter(pk=run.pk).first()
    done = Forecast.objects.filter(run_id=run.pk).values("shard").distinct().count()
    ForecastRun.objects.filter(pk=run.pk).update(shards_done=done)


def finalize(run: ForecastRun) -> ForecastRun:
    """Make the run current if and only if every shard wrote every row."""
    run.refresh_from_db()
    expected = run.n_series * run.horizon
    written = Forecast.objects.filter(run=run).count()
    if run.status == ForecastRun.Status.FAILED:
        raise ForecastError(f"run {run.pk} already failed: {run.error}")
    if run.shards_done < run.n_shards or written != expected:
        raise ForecastError(f"run {run.pk} incomplete: {run.shards_done}/{run.n_shards} shards, "
                            f"{written}/{expected} forecast rows")
    with transaction.atomic():
        ForecastRun.objects.select_for_update().filter(is_current=True).update(is_current=False)
        ForecastRun.objects.filter(pk=run.pk).update(is_current=True, status=ForecastRun.Status.SUCCEEDED,
                                                      finished_at=timezone.now())
    retention.prune()  # the superseded runs' rows this run makes unnecessary
    run.refresh_from_db()
    return run


def mark_failed(run_id: int, error: BaseException | str) -> None:
    """A failed run keeps its error, loses its partial rows, and never becomes current."""
    msg = error if isinstance(error, str) else "".join(traceback.format_exception_only(type(error), error)).strip()
    with transaction.atomic():
        ForecastRun.objects.filter(pk=run_id).exclude(status=ForecastRun.Status.SUCCEEDED).update(
            status=ForecastRun.Status.FAILED, error=msg[:5000], finished_at=timezone.now(), is_current=False)
        Forecast.objects.filter(run_id=run_id, run__status=ForecastRun.Status.FAILED).delete()


def mark_stale_runs(max_hours: float = 12.0, stale_after_s: float = STALE_AFTER_S) -> int:
    """Fail the runs whose worker is gone: running with no sign of life (heartbeat) for
    ``stale_after_s`` (five minutes) or ``max_hours``, whichever is shorter, or still queued after
    ``max_hours`` (no worker ever took it)."""
    now = timezone.now()
    quiet_s = min(stale_after_s, max_hours * 3600)
    stale = []
    for run in ForecastRun.objects.filter(status=ForecastRun.Status.RUNNING):
        seen = last_sign_of_life(run)
        if seen is None or seen <= now - timedelta(seconds=quiet_s):
            stale.append((run.pk, f"no sign of life for {quiet_s / 60:g} minutes: the run was killed or its "
                                  "worker lost"))
    stale += [(pk, f"still queued after {max_hours:g} h: no worker took it") for pk in ForecastRun.objects.filter(
        status=ForecastRun.Status.QUEUED, created_at__lt=now - timedelta(hours=max_hours)).values_list("pk", flat=True)]
    for pk, why in stale:
        mark_failed(pk, why)
    return len(stale)


def create_run(model_name: str = "global_tide", horizon: int = 28, shards: int = 4, options: dict | None = None,
               as_of: date | None = None) -> ForecastRun:
    if model_name not in MODEL_CHOICES:
        raise ForecastError(f"unknown model {model_name!r}; choose one of {', '.join(MODEL_CHOICES)}")
    if horizon < 1 or horizon > 365:
        raise ForecastError(f"horizon must be between 1 and 365 days, got {horizon}")
    as_of = as_of or last_sales_day()
    if as_of is None:
        raise ForecastError("no sales history in the database (SalesDay is empty): nothing to learn from")
    validate_run_options(options)
    keys = series_keys()
    # One run of the catalogue at a time: a second would train the same data again beside it.
    mark_stale_runs()
    active = ForecastRun.objects.filter(status__in=[ForecastRun.Status.QUEUED, ForecastRun.Status.RUNNING]).first()
    if active is not None:
        raise RunInProgress(f"forecast run {active.pk} is still {active.status}: wait for it to finish "
                            "(a run whose worker died is failed within minutes)")
    return ForecastRun.objects.create(model_name=model_name, horizon=horizon, as_of=as_of,
                                      n_shards=max(1, min(shards, len(keys) or 1)), n_series=len(keys),
                                      options=options or {})


def start(run: ForecastRun) -> None:
    ForecastRun.objects.filter(pk=run.pk).update(status=ForecastRun.Status.RUNNING, started_at=timezone.now())
