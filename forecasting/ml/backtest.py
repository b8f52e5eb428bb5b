"""Rolling-origin backtests and per-class model selection.

Origins are the last ``n_origins`` blocks of ``horizon`` days (M5: 3 x 28 days at the end).
A model is fitted once on the data before the first origin and then predicts from each
origin with the history up to that origin (no refit, no weight update between origins);
local baselines need no fit and use their full history at every origin.  Metrics are
computed per origin and averaged over origins.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import metrics as M
from .base import QUANTILES, Forecast, qindex
from .classify import classify

Q3 = (0.1, 0.5, 0.9)


def rolling_origins(n_obs: int, horizon: int, n_origins: int = 3, step: int | None = None) -> list[int]:
    step = step or horizon
    origins = [n_obs - horizon - step * i for i in range(n_origins)][::-1]
    if origins[0] < 2 * horizon:
        raise ValueError(f"history of {n_obs} days is too short for {n_origins} origins of horizon {horizon}")
    return origins


@dataclass
class BacktestResult:
    name: str
    origins: list
    forecasts: list                      # Forecast per origin
    per_origin: list                     # dict of overall metrics per origin
    per_series: dict                     # metric -> [n_origins, N]
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    overall: dict = field(default_factory=dict)


def score(panel, fc: Forecast, origin: int, horizon: int) -> tuple[dict, dict]:
    """Overall and per-series metrics of one forecast against the panel's actuals."""
    ins = panel.y[:, :origin]
    y = panel.y[:, origin:origin + horizon]
    w = M.m5_weights(ins, panel.price[:, :origin])
    q3 = fc.quantiles[..., [qindex(q) for q in Q3]]
    bottom = M.wrmsse(y, fc.mean, ins, w)
    overall = {
        "wrmsse": bottom,
        "wrmsse_bottom": bottom,
        "mase": float(np.nanmean(M.mase(y, fc.mean, ins))),
        # of the median: absolute error is minimised by the median, not the mean (GIFT-Eval's MASE
        # scores the median too); on intermittent series the two differ most
        "mase_p50": float(np.nanmean(M.mase(y, fc.q(0.5), ins))),
        "pinball": M.scaled_pinball(y, q3, Q3, ins),
        "pinball_grid": M.scaled_pinball(y, fc.quantiles, QUANTILES, ins),
        "coverage_80": M.coverage(y, fc.q(0.1), fc.q(0.9)),
        "coverage_80_pit": M.pit_coverage(y, fc.quantiles, QUANTILES),
        "coverage_98": M.coverage(y, fc.q(0.01), fc.q(0.99)),
        "bias": M.bias(y, fc.mean),
    }
    hierarchy = panel.extra.get("hierarchy")
    if hierarchy is not None:  # M5's definition: the mean over its twelve aggregation levels
        overall["wrmsse"], levels = M.wrmsse_levels(y, fc.mean, ins, panel.price[:, :origin], hierarchy)
        overall.update({f"wrmsse_level_{name}": v for name, v in levels.items()})
    per = {"rmsse": M.rmsse(y, fc.mean, ins), "mase": M.mase(y, fc.mean, ins), "weight": w}
    return overall, per


def backtest(panel, model, horizon: int, origins: list[int], fit: bool = True) -> BacktestResult:
    t0 = time.perf_counter()
    if fit:
        model.fit(panel, origins[0])
    fit_s = time.perf_counter() - t0
    fcs, per_origin, per_series = [], [], {}
    pred_s = 0.0
    for o in origins:
        t1 = time.perf_counter()
        fc = model.predict(panel.truncate(o), o, horizon)
        pred_s += time.perf_counter() - t1
        ov, per = score(panel, fc, o, horizon)
        fcs.append(fc)
        per_origin.append(ov)
        for k, v in per.items():
            per_series.setdefault(k, []).append(v)
    res = BacktestResult(model.name, list(origins), fcs, per_origin,
                         {k: np.stack(v) for k, v in per_series.items()}, fit_s, pred_s)
    res.overall = {k: float(np.nanmean([p[k] for p in per_origin])) for k in per_origin[0]}
    return res


def select_per_class(panel, results: dict[str, BacktestResult], horizon: int) -> tuple[dict, BacktestResult]:
    """Pick, per demand class, the model with the lowest weighted RMSSE on all origins but
    the last, and score that choice on the last origin only (so the choice is not judged
    on the data it was made on).  Returns (class -> model name, result on the last origin)."""
    names = list(results)
    first = results[names[0]]
    origins = first.origins
    if len(origins) < 2:
        raise ValueError("selection needs at least two origins")
    classes = classify(panel.y[:, :origins[-1]])
    choice = {}
    for c in np.unique(classes):
        rows = classes == c
        best, best_v = None, np.inf
        for n in names:
            r = results[n].per_series["rmsse"][:-1, rows]
            w = results[n].per_series["weight"][:-1, rows]
            ok = ~np.isnan(r)
            v = float((np.where(ok, r, 0) * w).sum() / max(w[ok].sum(), 1e-12)) if ok.any() else np.inf
            if v < best_v:
                best, best_v = n, v
        choice[str(c)] = best
    o = origins[-1]
    pick = np.array([choice[str(c)] for c in classes])
    mean = np.zeros_like(first.forecasts[-1].mean)
    quant = np.zeros_like(first.forecasts[-1].quantiles)
    for n in names:
        rows = pick == n
        mean[rows] = results[n].forecasts[-1].mean[rows]
        quant[rows] = results[n].forecasts[-1].quantiles[rows]
    fc = Forecast(mean, quant, first.forecasts[-1].ids, first.forecasts[-1].dates)
    ov, per = score(panel, fc, o, horizon)
    res = BacktestResult("selected_by_class", [o], [fc], [ov], {k: v[None] for k, v in per.items()},
                         sum(r.fit_seconds for r in results.values()), sum(r.predict_seconds for r in results.values()))
    res.overall = ov
    return choice, res


def ensemble(panel, results: dict[str, BacktestResult], horizon: int, name: str = "ensemble") -> BacktestResult:
    """Average of several models' means and quantiles (quantile averaging keeps them sorted),
    scored on the same origins."""
    rs = list(results.values())
    fcs, per_origin, per_series = [], [], {}
    for i, o in enumerate(rs[0].origins):
        mean = np.mean([r.forecasts[i].mean for r in rs], axis=0)
        quant = np.mean([r.forecasts[i].quantiles for r in rs], axis=0)
        fc = Forecast(mean, quant, rs[0].forecasts[i].ids, rs[0].forecasts[i].dates)
        ov, per = score(panel, fc, o, horizon)
        fcs.append(fc)
        per_origin.append(ov)
        for k, v in per.items():
            per_series.setdefault(k, []).append(v)
    res = BacktestResult(name, list(rs[0].origins), fcs, per_origin, {k: np.stack(v) for k, v in per_series.items()},
                         sum(r.fit_seconds for r in rs), sum(r.predict_seconds for r in rs))
    res.overall = {k: float(np.nanmean([p[k] for p in per_origin])) for k in per_origin[0]}
    return res
