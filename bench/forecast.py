"""Forecast benchmark: our baselines and global model against the peers a user would pick.

    python -m bench.forecast --dataset m5_tiny [--json out.json] [--quick]
    python -m bench.forecast --dataset online_retail          # weekly, horizon 8 weeks
    python -m bench.forecast --dataset pasta_promo            # + promotion-day errors
    python -m bench.forecast --sales FILE.csv                 # any long CSV (unique_id, ds, y, ...)

Every model is scored on the same rolling origins (3 x horizon at the end).  Metrics:
WRMSSE as M5 defines it where the data has M5's hierarchy (the mean over twelve aggregation
levels, each weighted by last-28-day dollar sales; `wrmsse_bottom` and `wrmsse_levels` give the
item x store level and every level apart), else the bottom level (units where no price),
MASE (one-step naive scale), pinball = mean scaled pinball over p10/p50/p90 (scaled like
M5's SPL, unweighted over series; for peers whose p50 is not produced the point forecast
stands in), 80 % coverage of [p10, p90] (closed: a zero-sales day inside [0, p90] is a hit) and pit80, its
count-data version (non-randomised PIT, Czado et al. 2009, which a calibrated forecast brings to
0.80 however many zeros; peers without a full quantile grid get none), fit and predict seconds, and peak_mb = the
largest rise of the process's resident memory above its level when the model started.
Seconds are for comparing models within one run (ratios), not absolute claims.
Peers come from requirements-bench.txt (statsforecast, mlforecast + LightGBM).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench import pretrained  # noqa: E402
from forecasting.ml import metrics as M  # noqa: E402
from forecasting.ml.backtest import BacktestResult, backtest, ensemble, rolling_origins, score, select_per_class  # noqa: E402
from forecasting.ml.base import QUANTILES, Forecast, qindex  # noqa: E402
from forecasting.ml.baselines import all_baselines  # noqa: E402
from forecasting.ml.classify import classify  # noqa: E402
from forecasting.ml.data import Panel, load_long_csv, load_m5, load_online_retail, load_pasta_promo, long_from_panel  # noqa: E402
from forecasting.ml.train import GlobalForecaster, TrainConfig  # noqa: E402
from forecasting.ml import sum_calibration  # noqa: E402
from replenishment.policies.periodic import sum_quantiles  # noqa: E402


# ----------------------------------------------------------------------------- memory

def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakRSS:
    """Peak rise of resident memory above the level at entry, sampled every 20 ms."""

    def __enter__(self):
        self.base = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        return self

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mb())
            time.sleep(0.02)

    def __exit__(self, *a):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, _rss_mb())
        self.mb = self.peak - self.base


# ----------------------------------------------------------------------------- peers

def _peer_forecasts(panel: Panel, cv: pd.DataFrame, model_col: str, origins, horizon) -> list[Forecast]:
    """statsforecast/mlforecast cross-validation output -> one Forecast per origin on our grid."""
    pos = {u: i for i, u in enumerate(panel.ids)}
    out = []
    for o in origins:
        dates = panel.dates[o:o + horizon]
        part = cv[cv["cutoff"] == panel.dates[o - 1]]
        mean = np.full((panel.n_series, horizon), np.nan, np.float32)
        quant = np.full((panel.n_series, horizon, len(QUANTILES)), np.nan, np.float32)
        r = part["unique_id"].map(pos).to_numpy()
        c = dates.get_indexer(pd.to_datetime(part["ds"]))
        ok = (c >= 0) & ~pd.isna(r)
        r, c = r[ok].astype(int), c[ok]
        mean[r, c] = np.clip(part[model_col].to_numpy(np.float32)[ok], 0, None)
        quant[r, c, qindex(0.5)] = mean[r, c]
        if f"{model_col}-lo-80" in part:
            quant[r, c, qindex(0.1)] = np.clip(part[f"{model_col}-lo-80"].to_numpy(np.float32)[ok], 0, None)
            quant[r, c, qindex(0.9)] = np.clip(part[f"{model_col}-hi-80"].to_numpy(np.float32)[ok], 0, None)
        # series a peer could not forecast (too short at that origin) get 0, and count against it
        mean = np.nan_to_num(mean)
        out.append(Forecast(mean, quant, panel.ids, dates))
    return out


def _peer_result(name, panel, fcs, origins, horizon, fit_s, pred_s, has_interval) -> BacktestResult:
    per_origin = []
    for o, fc in zip(origins, fcs):
        ov, _ = score(panel, fc, o, horizon)
        if not has_interval:
            ov["pinball"] = ov["coverage_80"] = None
        ov["pinball_grid"] = ov["coverage_98"] = ov["coverage_80_pit"] = None
        per_origin.append(ov)
    res = BacktestResult(name, list(origins), fcs, per_origin, {}, fit_s, pred_s)
    res.overall = {k: (None if per_origin[0][k] is None else float(np.nanmean([p[k] for p in per_origin])))
                   for k in per_origin[0]}
    return res


def _peer_frame(panel: Panel, end: int) -> pd.DataFrame:
    df = long_from_panel(panel.truncate(end))
    return df


def run_statsforecast(panel, origins, horizon, season, quick) -> list[BacktestResult]:
    from statsforecast import StatsForecast
    from statsforecast.models import ADIDA, IMAPA, TSB, AutoETS, CrostonOptimized, Naive as SFNaive, SeasonalNaive as SFSeasonalNaive

    df = _peer_frame(panel, origins[-1] + horizon)[["unique_id", "ds", "y"]]
    models = [SFSeasonalNaive(season_length=season), CrostonOptimized(), TSB(alpha_d=0.1, alpha_p=0.1), ADIDA(), IMAPA()]
    if not quick:
        models.insert(1, AutoETS(season_length=season))
    results = []
    freq = "W-MON" if panel.freq == "W" else "D"
    for m in models:
        with PeakRSS() as mem:
            t0 = time.perf_counter()
            # a series too short for a model (AutoETS with a 52-week season on 60 weeks: "tiny
            # datasets") gets statsforecast's fallback, as a user of it would configure
            sf = StatsForecast(models=[m], freq=freq, n_jobs=1, fallback_model=SFNaive())
            has_int = m.__class__.__name__ in ("SeasonalNaive", "AutoETS")
            kwargs = {"level": [80]} if has_int else {}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    cv = sf.cross_validation(df=df, h=horizon, n_windows=len(origins), step_size=horizon, **kwargs)
            except Exception as exc:  # one peer failing must not hide the others
                print(f"  statsforecast {m.__class__.__name__} failed: {exc!r}", flush=True)
                continue
            secs = time.perf_counter() - t0
        col = [c for c in cv.columns if c not in ("unique_id", "ds", "cutoff", "y") and "-lo-" not in c and "-hi-" not in c][0]
        fcs = _peer_forecasts(panel, cv, col, origins, horizon)
        # statsforecast fits and predicts in one call per window: all time is reported as fit
        r = _peer_result(f"sf_{col}", panel, fcs, origins, horizon, secs, 0.0, has_int)
        r.overall["peak_mb"] = mem.mb
        results.append(r)
    return results


def run_lightgbm(panel, origins, horizon, season, quick) -> BacktestResult:
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.lag_transforms import RollingMean

    df = _peer_frame(panel, origins[-1] + horizon)
    df = df.drop(columns=[c for c in ("event", "snap") if df[c].nunique() <= 1] + ([] if df["price"].notna().any() else ["price"]))
    if "price" in df:
        df["price"] = df.groupby("unique_id")["price"].ffill().bfill().fillna(0.0)
    freq = "W-MON" if panel.freq == "W" else "D"
    lags = [1, 2, 4, 8, 52] if panel.freq == "W" else [7, 14, 28]
    lag_tf = ({1: [RollingMean(4), RollingMean(12)]} if panel.freq == "W"
              else {7: [RollingMean(7), RollingMean(28)], 28: [RollingMean(28)]})
    model = lgb.LGBMRegressor(objective="tweedie", n_estimators=150 if quick else 400, learning_rate=0.05,
                              num_leaves=63, min_child_samples=20, subsample=0.8, subsample_freq=1,
                              colsample_bytree=0.8, verbose=-1, n_jobs=1, random_state=0)
    fcst = MLForecast(models={"lightgbm": model}, freq=freq, lags=lags, lag_transforms=lag_tf,
                      date_features=["dayofweek", "month"] if panel.freq == "D" else ["month"])
    # mlforecast's own conformal intervals need future exogenous frames inside its backtest;
    # we do the same thing by hand: two extra earlier windows, and at each scored origin the
    # 10th/90th percentiles of that series' errors in the two windows before it are added
    # to the point forecast (split-conformal per series).
    n_extra = 2
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cv = fcst.cross_validation(df=df, h=horizon, n_windows=len(origins) + n_extra, step_size=horizon,
                                       refit=False, static_features=[])
        secs = time.perf_counter() - t0
    cv["lightgbm"] = cv["lightgbm"].clip(lower=0)
    cv["res"] = cv["y"] - cv["lightgbm"]
    cutoffs = sorted(cv["cutoff"].unique())
    parts = []
    for i in range(n_extra, len(cutoffs)):
        prev = cv[cv["cutoff"].isin(cutoffs[i - n_extra:i])].groupby("unique_id")["res"]
        lo, hi = prev.quantile(0.1).rename("rlo"), prev.quantile(0.9).rename("rhi")
        cur = cv[cv["cutoff"] == cutoffs[i]].join(lo, on="unique_id").join(hi, on="unique_id")
        cur["lightgbm-lo-80"] = (cur["lightgbm"] + cur["rlo"].fillna(0)).clip(lower=0)
        cur["lightgbm-hi-80"] = (cur["lightgbm"] + cur["rhi"].fillna(0)).clip(lower=0)
        parts.append(cur)
    cv = pd.concat(parts, ignore_index=True)
    fcs = _peer_forecasts(panel, cv, "lightgbm", origins, horizon)
    r = _peer_result("lightgbm_mlforecast", panel, fcs, origins, horizon, secs, 0.0, True)
    r.overall["peak_mb"] = mem.mb
    return r


# ----------------------------------------------------------------------------- ours

def run_ours(model, panel, origins, horizon) -> BacktestResult:
    with PeakRSS() as mem:
        res = backtest(panel, model, horizon, origins, fit=True)
    res.overall["peak_mb"] = mem.mb
    return res


def run_ours_fitted(model, panel, origins, horizon) -> BacktestResult:
    """Backtest of a model fitted elsewhere (a member of the main model): its training time and
    memory are part of that model's, so only prediction is timed here (fit_s 0, no peak)."""
    res = backtest(panel, model, horizon, origins, fit=False)
    res.overall["peak_mb"] = None
    return res


def promo_day_errors(panel: Panel, results: dict[str, BacktestResult], horizon: int) -> dict:
    """MAE and relative bias on promotion days vs other days of the backtest windows."""
    out = {}
    for name, r in results.items():
        rows = {"promo": [], "no_promo": []}
        for o, fc in zip(r.origins, r.forecasts):
            y = panel.y[:, o:o + horizon]
            pr = panel.promo[:, o:o + horizon] > 0
            ok = ~np.isnan(y)
            for key, sel in (("promo", pr & ok), ("no_promo", ~pr & ok)):
                rows[key].append((y[sel], fc.mean[sel]))
        d = {}
        for key, parts in rows.items():
            yy = np.concatenate([p[0] for p in parts])
            ff = np.concatenate([p[1] for p in parts])
            d[key] = {"days": int(len(yy)), "mae": float(np.mean(np.abs(yy - ff))) if len(yy) else None,
                      "bias": M.bias(yy, ff) if len(yy) else None}
        out[name] = d
    return out


def scale_benchmark(model: GlobalForecaster, n_series: int = 30_490, n_days: int = 1_913, seed: int = 0) -> dict:
    """Prediction for M5's full size on generated data (not real demand: only speed and memory
    are measured).  Descriptions and categories are drawn from the trained model's catalogue,
    so text embeddings come from the cache; item ids are all new (the cold-item embedding)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.6, 2.0, size=(n_series, 1)).astype(np.float32)
    y = rng.poisson(np.broadcast_to(rate, (n_series, n_days))).astype(np.float32)
    price = np.broadcast_to(rng.uniform(1, 20, size=(n_series, 1)).astype(np.float32), (n_series, n_days + 28))
    zeros = np.zeros((n_series, n_days + 28), np.float32)
    y = np.concatenate([y, np.full((n_series, 28), np.nan, np.float32)], axis=1)
    dates = pd.date_range("2011-01-29", periods=n_days + 28, freq="D")
    cats = np.array(list(model.cat_vocab) or ["unknown"], dtype=object)
    texts = np.array(model.extra_texts if hasattr(model, "extra_texts") else ["generated item"], dtype=object)
    panel = Panel(np.array([f"gen_{i}" for i in range(n_series)], dtype=object), dates, "D", y, price, zeros, zeros, zeros,
                  cats[rng.integers(0, len(cats), n_series)], texts[rng.integers(0, len(texts), n_series)], n_obs=n_days)
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        fc = model.predict(panel, n_days, 28)
        secs = time.perf_counter() - t0
    assert fc.mean.shape == (n_series, 28)
    return {"series": n_series, "days": n_days, "horizon": 28, "predict_seconds": round(secs, 2),
            "peak_mb": round(mem.mb, 1), "forecast_rows": int(fc.mean.size)}


# ----------------------------------------------------------------------------- main

def interval_sum_coverage(panel: Panel, result: BacktestResult, days: int = 14, targets=(0.833, 0.9)) -> dict:
    """How often a reorder decision's protection-interval demand (the sum of the next ``days``)
    stays at or below the level it orders up to, at each target fractile: from the model's daily
    quantiles drawn as independent days (raw), and from the interval-sum calibration the product
    stores with each run (forecasting/ml/sum_calibration.py), fitted on the first origin and
    scored on the later ones."""
    if len(result.origins) < 2 or result.forecasts[0].mean.shape[1] < days:
        return {"note": "needs two origins and a horizon of at least the interval"}
    o0, fc0 = result.origins[0], result.forecasts[0]
    classes = classify(panel.y[:, :o0])
    cal = sum_calibration.fit(panel.y[:, :o0], fc0.mean, panel.y[:, o0:o0 + fc0.mean.shape[1]], classes)
    out = {"days": days, "calibrated_on": str(panel.dates[o0].date()), "raw": {}, "calibrated": {}}
    for target in targets:
        raw_hits, cal_hits = [], []
        for origin, fc in zip(result.origins[1:], result.forecasts[1:]):
            real = panel.y[:, origin:origin + days]
            ok = ~np.isnan(real).any(1)
            D = np.nansum(real, 1)
            raw = sum_quantiles(fc.quantiles, QUANTILES, [target], days, n_samples=1000, seed=origin)[:, 0]
            centre = fc.mean[:, :days].sum(1)
            scale = sum_calibration.interval_scale(panel.y[:, :origin], days, centre)
            cls = classify(panel.y[:, :origin])
            offset = np.array([np.interp(target, *sum_calibration.score_quantiles(cal, days, c)) for c in cls])
            raw_hits.append((D <= raw)[ok])
            cal_hits.append((D <= centre + offset * scale)[ok])
        out["raw"][str(target)] = round(float(np.concatenate(raw_hits).mean()), 4)
        out["calibrated"][str(target)] = round(float(np.concatenate(cal_hits).mean()), 4)
    return out


def load(args) -> tuple[Panel, str]:
    if args.sales:
        return load_long_csv(args.sales), os.path.basename(args.sales)
    if args.dataset == "m5_tiny":
        return load_m5(args.data), "m5_tiny"
    if args.dataset == "pasta_promo":
        return load_pasta_promo(args.data), "pasta_promo"
    if args.dataset == "online_retail":
        return load_online_retail(args.data, max_series=args.max_series), "online_retail"
    raise SystemExit(f"unknown dataset {args.dataset!r}")


def fmt(v, nd=3):
    return "-" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.{nd}f}"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="m5_tiny", choices=["m5_tiny", "online_retail", "pasta_promo"])
    ap.add_argument("--sales", help="long CSV: unique_id, ds, y [, price, on_promotion, event, snap, category, description]")
    ap.add_argument("--data", help="folder of the data set (default ../shared/data/<dataset> or $STOCKCAST_DATA_DIR)")
    ap.add_argument("--horizon", type=int)
    ap.add_argument("--origins", type=int, default=3)
    ap.add_argument("--json", help="write results here")
    ap.add_argument("--quick", action="store_true", help="smoke mode: few series, short training, cheap peers")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--no-text", action="store_true", help="global model without description embeddings")
    ap.add_argument("--no-scale", action="store_true", help="skip the 30,490-series prediction benchmark")
    ap.add_argument("--max-series", type=int, default=None, help="online_retail: keep the top-N by revenue")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a shared 2-core box)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--pretrained", nargs="?", const=pretrained.SHIPPED,
                    help="a checkpoint of python -m forecasting.pretrain (none named: the one shipped in "
                         "forecasting/checkpoints/ for the data's frequency): only its zero-shot and fine-tuned "
                         "rows, from scratch, the baselines and the peers (bench/pretrained.py)")
    ap.add_argument("--peers", default="statsforecast,lightgbm,fracast",
                    help="with --pretrained: which peers to run, comma-separated (statsforecast is the slow one)")
    ap.add_argument("--train-seconds", type=float, help="with --pretrained: the budget of each training")
    ap.add_argument("--short-history", action="store_true",
                    help="with --pretrained: only 13 weeks (91 days) of history before the first origin")
    args = ap.parse_args(argv)

    import torch
    torch.set_num_threads(args.threads)
    t_load = time.perf_counter()
    panel, name = load(args)
    if args.quick:
        keep = np.argsort(-np.nan_to_num(panel.y).sum(1))[: min(40, panel.n_series)]
        panel = panel.subset(np.sort(keep))
    horizon = args.horizon or (8 if panel.freq == "W" else 28)
    season = 52 if panel.freq == "W" else 7
    origins = rolling_origins(panel.n_obs, horizon, args.origins)
    print(f"# {name}: {panel.n_series} series x {panel.n_obs} {'weeks' if panel.freq == 'W' else 'days'}, "
          f"horizon {horizon}, origins {[str(panel.dates[o].date()) for o in origins]} "
          f"(loaded in {time.perf_counter() - t_load:.1f}s)", flush=True)
    classes = classify(panel.y[:, :origins[0]])
    print("# demand classes:", dict(zip(*np.unique(classes, return_counts=True))), flush=True)

    tc = TrainConfig(seed=args.seed)
    if args.quick:
        tc = TrainConfig(seed=args.seed, max_epochs=3, batches_per_epoch=10, batch_size=256)
    if args.pretrained:
        return _pretrained_main(args, panel, name, origins, horizon, season, tc)
    use_text = not args.no_text
    results: dict[str, BacktestResult] = {}

    for m in all_baselines(panel.freq):
        results[m.name] = run_ours(m, panel, origins, horizon)
        print(f"  {m.name:28s} wrmsse {fmt(results[m.name].overall['wrmsse'])}", flush=True)

    main_model = GlobalForecaster(horizon, arch="tide", use_text=use_text, train=tc, name="global_tide")
    cpu0 = time.process_time()
    results["global_tide"] = run_ours(main_model, panel, origins, horizon)
    main_cpu = time.process_time() - cpu0
    print(f"  global_tide                  wrmsse {fmt(results['global_tide'].overall['wrmsse'])} "
          f"({main_model.report.epochs} epochs, {main_model.report.seconds:.0f}s; stock-out masking: "
          f"{main_model.tc.mask_stockouts})", flush=True)
    # the default (mask_stockouts="both") is the mean of two networks, trained without and with
    # stock-out masking: each is scored alone too (no extra training: the same weights). The
    # ablations are single unmasked networks, to be read against global_tide_unmasked
    for key, member in zip(("global_tide_unmasked", "global_tide_stockout_masking"), main_model.members or []):
        member.name = key
        results[key] = run_ours_fitted(member, panel, origins, horizon)
        print(f"  {key:28s} wrmsse {fmt(results[key].overall['wrmsse'])}", flush=True)
    single = replace(tc, mask_stockouts=False)
    ablations = {
        "global_lstm": GlobalForecaster(horizon, arch="lstm", use_text=use_text, train=single),
    }
    if use_text:
        ablations["global_tide_notext"] = GlobalForecaster(horizon, arch="tide", use_text=False, train=single,
                                                           name="global_tide_notext")
    # the pair as the default trains it, but keeping the last step's weights instead of their average
    ablations["global_tide_no_weight_average"] = GlobalForecaster(horizon, arch="tide", use_text=use_text,
                                                                  train=replace(tc, ema_decay=0.0))
    for key, m in ablations.items():
        m.name = key
        results[key] = run_ours(m, panel, origins, horizon)
        print(f"  {key:28s} wrmsse {fmt(results[key].overall['wrmsse'])}", flush=True)

    members = [k for k in ("global_tide", "global_lstm", "global_tide_notext") if k in results]
    results["ensemble_global"] = ens = ensemble(panel, {k: results[k] for k in members}, horizon, "ensemble_global")
    ens.overall["peak_mb"] = max(results[k].overall.get("peak_mb") or 0 for k in members)
    print(f"  ensemble_global              wrmsse {fmt(ens.overall['wrmsse'])}  (mean of {members})", flush=True)

    experiments: dict = {"interval_scale_global_tide": main_model.interval_scale,
                         "global_tide_members": main_model.report.members}
    # adaptation: a version trained one horizon earlier, fine-tuned on the newer data,
    # against the main model trained from scratch on the same data
    prev = GlobalForecaster(horizon, arch="tide", use_text=use_text, train=tc, name="previous_version")
    t0 = time.perf_counter()
    prev.fit(panel, origins[0] - horizon)
    prev_s = time.perf_counter() - t0
    ft = GlobalForecaster(horizon, arch="tide", use_text=use_text, train=tc, name="global_tide_finetuned", init_from=prev)
    results["global_tide_finetuned"] = run_ours(ft, panel, origins, horizon)
    experiments["finetune_vs_scratch"] = {
        "previous_version_fit_seconds": round(prev_s, 2),
        "finetune_seconds": round(results["global_tide_finetuned"].fit_seconds, 2),
        "scratch_seconds": round(results["global_tide"].fit_seconds, 2),
        "finetune_wrmsse": results["global_tide_finetuned"].overall["wrmsse"],
        "scratch_wrmsse": results["global_tide"].overall["wrmsse"],
    }
    print(f"  global_tide_finetuned        wrmsse {fmt(results['global_tide_finetuned'].overall['wrmsse'])}", flush=True)

    if panel.promo.any():
        nopromo_panel = Panel(panel.ids, panel.dates, panel.freq, panel.y, panel.price, np.zeros_like(panel.promo),
                              panel.event, panel.snap, panel.category, panel.description, n_obs=panel.n_obs)
        m = GlobalForecaster(horizon, arch="tide", use_text=use_text, train=tc, name="global_tide_no_promo_covariate")
        r = run_ours(m, nopromo_panel, origins, horizon)
        results["global_tide_no_promo_covariate"] = r
        experiments["promotion_days"] = promo_day_errors(
            panel, {k: results[k] for k in ("global_tide", "global_tide_no_promo_covariate", "seasonal_naive", "moving_average")},
            horizon)

    # the production pipeline on this data: train, backtest (above), then adapt to the
    # newest data and forecast the next horizon
    t0, cpu0 = time.perf_counter(), time.process_time()
    final = GlobalForecaster(horizon, train=tc, use_text=use_text, name="global_tide_final")
    final.fit(panel, panel.n_obs, init_from=main_model)
    future = final.predict(panel, panel.n_obs, horizon)
    pipeline_s = results["global_tide"].fit_seconds + results["global_tide"].predict_seconds + time.perf_counter() - t0
    experiments["pipeline_seconds"] = round(pipeline_s, 1)
    # CPU seconds of this process: on a shared machine wall time also counts other people's jobs
    experiments["pipeline_cpu_seconds"] = round(main_cpu + time.process_time() - cpu0, 1)
    experiments["future_forecast_rows"] = int(future.mean.size)

    if not args.no_peers:
        try:
            for r in run_statsforecast(panel, origins, horizon, season, args.quick):
                results[r.name] = r
                print(f"  {r.name:28s} wrmsse {fmt(r.overall['wrmsse'])}", flush=True)
        except Exception as exc:  # a peer failing is reported, not hidden
            experiments["statsforecast_error"] = repr(exc)
            print("  statsforecast failed:", repr(exc), flush=True)
        try:
            r = run_lightgbm(panel, origins, horizon, season, args.quick)
            results[r.name] = r
            print(f"  {r.name:28s} wrmsse {fmt(r.overall['wrmsse'])}", flush=True)
        except Exception as exc:
            experiments["lightgbm_error"] = repr(exc)
            print("  lightgbm failed:", repr(exc), flush=True)

    ours = {k: v for k, v in results.items() if v.per_series}
    choice, sel = select_per_class(panel, {k: ours[k] for k in ours if k != "global_tide_no_promo_covariate"}, horizon)
    experiments["selection_by_class"] = {"choice": choice, "last_origin_wrmsse": sel.overall["wrmsse"],
                                         "global_tide_last_origin_wrmsse": results["global_tide"].per_origin[-1]["wrmsse"]}

    experiments["interval_sum_coverage"] = interval_sum_coverage(panel, results["global_tide"])
    print("  interval-sum coverage:", experiments["interval_sum_coverage"], flush=True)

    if name == "m5_tiny" and not args.no_scale and not args.quick:
        main_model.extra_texts = list(np.unique(panel.description))
        experiments["scale_30490"] = scale_benchmark(main_model)
        print("  scale:", experiments["scale_30490"], flush=True)

    sn = results.get("seasonal_naive")
    rows = []
    print()
    print(f"{'model':32s} {'wrmsse':>7s} {'/snaive':>7s} {'bottom':>7s} {'/snaive':>7s} {'mase':>7s} {'pinball':>7s} "
          f"{'cov80':>6s} {'pit80':>6s} {'bias':>7s} {'fit_s':>7s} {'pred_s':>7s} {'peakMB':>7s}")
    for k, r in results.items():
        o = r.overall
        ratio = o["wrmsse"] / sn.overall["wrmsse"] if sn and o.get("wrmsse") else None
        ratio_b = o["wrmsse_bottom"] / sn.overall["wrmsse_bottom"] if sn and o.get("wrmsse_bottom") else None
        rows.append(k)
        print(f"{k:32s} {fmt(o['wrmsse']):>7s} {fmt(ratio):>7s} {fmt(o.get('wrmsse_bottom')):>7s} {fmt(ratio_b):>7s} "
              f"{fmt(o['mase']):>7s} {fmt(o.get('pinball')):>7s} "
              f"{fmt(o.get('coverage_80')):>6s} {fmt(o.get('coverage_80_pit')):>6s} {fmt(o.get('bias')):>7s} {r.fit_seconds:7.1f} {r.predict_seconds:7.2f} "
              f"{fmt(o.get('peak_mb'), 0):>7s}")
    print(f"{'selected_by_class (last origin)':32s} {fmt(sel.overall['wrmsse']):>7s}   choice: {choice}")
    print("\nexperiments:", json.dumps(experiments, indent=1, default=float))

    if args.json:
        def clean(v):
            return None if v is None or (isinstance(v, float) and not np.isfinite(v)) else round(float(v), 4)
        models = {}
        for k, r in results.items():
            o = r.overall
            models[k] = {"wrmsse": clean(o.get("wrmsse")), "mase": clean(o.get("mase")), "pinball": clean(o.get("pinball")),
                         "coverage_80": clean(o.get("coverage_80")), "fit_seconds": clean(r.fit_seconds),
                         "predict_seconds": clean(r.predict_seconds), "peak_mb": clean(o.get("peak_mb")),
                         "bias": clean(o.get("bias")), "pinball_grid": clean(o.get("pinball_grid")),
                         "coverage_98": clean(o.get("coverage_98")),
                         "coverage_80_pit": clean(o.get("coverage_80_pit")),
                         "wrmsse_per_origin": [clean(p.get("wrmsse")) for p in r.per_origin],
                         "wrmsse_bottom": clean(o.get("wrmsse_bottom")),
                         "wrmsse_levels": {lk[len("wrmsse_level_"):]: clean(v) for lk, v in o.items()
                                           if lk.startswith("wrmsse_level_")} or None}
        doc = {"dataset": name, "horizon": horizon, "origins": [str(panel.dates[o].date()) for o in origins],
               "n_series": int(panel.n_series), "quick": bool(args.quick), "models": models,
               "experiments": json.loads(json.dumps(experiments, default=float))}
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
        print("wrote", args.json)
    return 0


def _pretrained_main(args, panel, name, origins, horizon, season, tc) -> int:
    if args.short_history:  # the same origins, on a grid that starts later
        panel, cut = pretrained.shortened(panel, origins[0])
        origins = [o - cut for o in origins]
        print(f"# short history: {panel.n_obs} {'weeks' if panel.freq == 'W' else 'days'} in all, "
              f"{origins[0]} before the first origin", flush=True)

    errors = {}

    def peers(p, o):
        found = []
        wanted = set() if args.no_peers else set(args.peers.split(","))
        for label, run_peer in (("statsforecast", lambda: run_statsforecast(p, o, horizon, season, args.quick)),
                                ("lightgbm", lambda: [run_lightgbm(p, o, horizon, season, args.quick)]),
                                ("fracast", lambda: [pretrained.fracast_row(p, o, horizon)])):
            if label not in wanted:
                continue
            try:
                found += run_peer()
            except Exception as exc:  # a peer failing is reported, not hidden (requirements-bench.txt)
                errors[label] = repr(exc)
                print(f"  {label} failed:", repr(exc), flush=True)
        return found

    path = pretrained.checkpoint_file(args.pretrained, panel.freq)
    print(f"# checkpoint {path}", flush=True)
    with open(path, "rb") as f:
        checkpoint = f.read()
    failures: dict = {}
    results = pretrained.run(panel, origins, horizon, checkpoint, pretrained.budget(tc, args.train_seconds), peers,
                             failures)
    rows = pretrained.ratio_rows(results)
    print(f"\n{'model':28s} {'wrmsse':>7s} {'/snaive':>7s} {'mase':>7s} {'mase50':>7s} {'/snaive':>7s} {'fit_s':>7s} "
          f"{'pred_s':>7s}")
    for r in rows:
        print(f"{r['model']:28s} {fmt(r['wrmsse']):>7s} {fmt(r['wrmsse_vs_seasonal_naive']):>7s} {fmt(r['mase']):>7s} "
              f"{fmt(r['mase_p50']):>7s} {fmt(r['mase_p50_vs_seasonal_naive']):>7s} {r['fit_seconds']:7.1f} "
              f"{r['predict_seconds']:7.2f}")
    for model_name, why in failures.items():
        print(f"{model_name:28s} cannot train: {why}")
    if args.json:
        doc = {"dataset": name, "horizon": horizon, "origins": [str(panel.dates[o].date()) for o in origins],
               "n_series": int(panel.n_series), "short_history": bool(args.short_history),
               "checkpoint": str(path), "train_seconds": args.train_seconds, "quick": bool(args.quick),
               "models": {r["model"]: r for r in rows}, "peer_errors": errors, "cannot_train": failures}
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1, default=float)
        print("wrote", args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
