"""Replay replenishment policies on real sales history.

    python -m bench.replenish --sales FILE --freq W --lead-time 2 --holding 0.2 \\
        --shortage 1 --periods 8 [--initial-state FILE] [--pretrained CHECKPOINT] [--json OUT]

Files
  --sales          long format ``unique_id, ds, y`` (+ optional ``in_stock``: false where the
                   shelf was empty, so y understates demand; those periods are left out of
                   every demand estimate). Also accepted: the M5 folder (or its
                   sales_train_validation.csv) and the Online Retail II folder (by week, or
                   by day with --freq D), converted with forecasting.ml.data's loaders.
  --initial-state  ``unique_id, on_hand, in_transit_1..in_transit_L``; in_transit_k arrives
                   at the start of evaluation period k. Default: on hand and every
                   in-transit slot = the mean of the 8 periods before the evaluation.
Timing: replenishment.policies.replay (the product's own replay). The policy decides at
the origin (the end of the last period before the evaluation, seeing only history up to it)
and at the end of evaluation periods 1..P-1; an order placed at the end of period t arrives
at the start of period t + L + 1 (``--lead-time-std`` > 0: a random lead time per order,
the same draws for every policy). Every series of the file is scored, including those that
never sold (ordering nothing costs nothing there); the output says how many were dropped (0).

Windows: the last ``--periods`` are the evaluation; the ``--select-periods`` (default:
twice as many) before them are the selection window. The forecasting model is fitted on the history
before the selection window, and decides the selection window; the order-up-to level of the
forecast policy is calibrated on those decisions; the ``selected`` policy picks each series'
method from the selection window's replay (replenishment.policies.selection). The evaluation's
decisions are made by the same forecaster retrained on the history before the evaluation (the
same settings and seed), as the product retrains before it forecasts (``--refit off``: the
first forecaster decides the evaluation too). Each evaluation decision is calibrated on the
cases whose outcome is known when it is taken (the decisions of the last
``--calibration-window`` periods, default the selection window's length, whose protection
interval has ended), as the product recalibrates every run on its newest holdout; at the
origin those are the selection window's. Nothing the evaluation holds is seen before it is played.

Policies
  rl                       the global network (replenishment.rl.agent), trained in this run
                           in the simulator on negative-binomial demand spanning what it will be
                           fed (a grid of mean x cv items from the forecast's statistics at the
                           selection window's first decision; --rl-items history: the last 26
                           periods'); at each decision it sees the pipeline and, as the
                           product's ``rl`` method feeds it (replenishment.learned.rl_order),
                           the mean and cv per period of the protection interval's demand
                           from the calibrated forecast (the conformal distribution)
  rl_moving_avg            the same network fed the item's mean and cv over the last 8
                           uncensored periods instead (what the product's replay feeds it at a
                           past decision with no forecast in force); not a candidate of selected
  base_stock_forecast      order up to the calibrated quantile of the L+1-period demand sum
                           from the project's quantile forecasts (forecasting.ml.GlobalForecaster;
                           empirical quantiles if it is unavailable: the output says which):
                           calibrated per demand class on the decisions whose outcome is known,
                           as the product decides (the conformal view):
  base_stock_forecast_conformal  centre (the forecast's expected sum) + the split-conformal
                           offset x scale (the series' recent spread): the same as base_stock_forecast
  base_stock_forecast_recalibrated  the nominal level of the forecast's sum whose coverage was
                           closest to p/(p+h) (Kuleshov et al. 2018); not a product method
  base_stock_forecast_raw  the same forecasts at the nominal level p/(p+h) (no calibration)
  base_stock_forecast_before_refit  base_stock_forecast's view from the forecaster fitted before the
                           selection window, not retrained (what the row measured before --refit)
  base_stock_moving_avg    S = (L+1) MA8 + z sigma8 sqrt(L+1)
  order_what_sold          order what sold in the period just ended
  base_stock_forecast_tuned  order up to centre + k x scale (the conformal view's centre and
                           scale), k per demand class the factor whose replay of the selection
                           window cost least (replenishment.policies.tuning): the product's
                           ``base_stock_tuned``, tuned by its replay the same way
  base_stock_forecast_tuned_in_band  the same, choosing only among the factors whose coverage of the
                           class's selection-window cases lies within COVERAGE_BAND of p/(p+h)
  selected                 per series, the method the selection rule picked on the selection
                           window among the methods the product runs (incumbent: base_stock_forecast)
  selected_without_tuned   the same rule without base_stock_forecast_tuned among the candidates
                           (what the cost-tuned factor adds to the choice)
  selected_unguarded       each series' own cheapest product method on the selection window, with
                           none of the rule's guards against noise (margins, significance): what
                           choosing per series from a short replay is worth
Bounds (not policies: they look at the evaluation itself, so no shop could run them)
  hindsight_best_per_class the single candidate method that was cheapest on the evaluation,
                           per demand class
  hindsight_best_per_series each series' cheapest candidate method on the evaluation: the
                           floor any selection among these methods can reach
  hindsight_forecast_in_band the forecast's order-up-to level at the one nominal level of its sum
                           (or one conformal factor) that cost least on the evaluation among those
                           whose coverage of the selling series was within 3 points of p/(p+h): the
                           cheapest any single level of this forecast that meets the target can be
Coverage: the share of evaluation decisions whose protection-interval demand stayed at or
below the order-up-to level (target p/(p+h)), overall, over the series that sold ("selling": a
series of the no_demand class orders up to 0 and is always covered) and per demand class.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from forecasting.ml.classify import classify
from forecasting.ml.sum_calibration import LEVELS as SCORE_LEVELS
from forecasting.ml.sum_calibration import MIN_CASES as PRODUCT_MIN_CASES
from forecasting.ml.sum_calibration import SCALE_WINDOW, interval_values
from forecasting.ml.trainer import catalogue_settings
from replenishment.policies.calibration import (
    GRID,
    calibrated_levels,
    conformal_offsets,
    coverage,
    level_for,
    offset_for,
)
from replenishment.policies.periodic import MA_WINDOW, moving_average_level, order_up_to, past_stats, sum_quantiles
from replenishment.policies.replay import ReplayResult, replay
from replenishment.policies.selection import select_methods
from replenishment.policies.tuning import COVERAGE_BAND, FACTORS, cost_by_factor, factor_for, tuned_factors
from replenishment.rl import agent
from replenishment.rl.heuristics import capped_base_stock
from replenishment.rl.observation import per_period_demand, replay_observation

STATS_WINDOW = 26


# ----------------------------------------------------------------------------- data
def load_sales(path: str, freq: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DatetimeIndex, str]:
    """-> (ids, y[N,T], in_stock[N,T] bool, dates, description)."""
    p = Path(path)
    kind = "long"
    if (p.is_dir() and (p / "sales_train_validation.csv").exists()) or p.name == "sales_train_validation.csv":
        from forecasting.ml.data import load_m5, long_from_panel
        df = long_from_panel(load_m5(p if p.is_dir() else p.parent))[["unique_id", "ds", "y"]]
        kind = "m5"
    elif (p.is_dir() and list(p.glob("year_*.csv*"))) or p.name.startswith("year_20"):
        from forecasting.ml.data import load_online_retail, long_from_panel
        daily = bool(freq) and freq.upper().startswith("D")
        df = long_from_panel(load_online_retail(p, freq="D" if daily else "W"))[["unique_id", "ds", "y"]]
        kind = "online_retail"
    else:
        df = pd.read_csv(p)
        missing = {"unique_id", "ds", "y"} - set(df.columns)
        if missing:
            raise ValueError(f"{path}: missing column(s) {sorted(missing)}; need unique_id, ds, y")
    df["ds"] = pd.to_datetime(df["ds"])
    if "in_stock" not in df.columns:
        df["in_stock"] = True
    df["in_stock"] = df["in_stock"].astype(str).str.lower().isin(["true", "1", "t", "yes"])
    if (df["y"] < 0).any():
        bad = df.index[df["y"] < 0][:5].tolist()
        raise ValueError(f"negative y in rows {bad}")
    if freq and freq.upper().startswith("W"):
        # weeks Monday..Sunday; a week is censored when any of its days was out of stock
        df["ds"] = df["ds"].dt.to_period("W-SUN").dt.start_time
        df = df.groupby(["unique_id", "ds"], as_index=False).agg(y=("y", "sum"), in_stock=("in_stock", "min"),
                                                                   n=("y", "size"))
        if kind == "m5":   # drop partial first/last weeks of the calendar
            full = df.groupby("ds")["n"].max()
            df = df[df["ds"].isin(full[full == 7].index)]
    dates = pd.DatetimeIndex(sorted(df["ds"].unique()))
    ids = np.array(sorted(df["unique_id"].astype(str).unique()), dtype=object)
    rows = pd.Index(ids).get_indexer(df["unique_id"].astype(str))
    cols = dates.get_indexer(df["ds"])
    y = np.full((ids.size, dates.size), np.nan)
    y[rows, cols] = df["y"].to_numpy(float)
    ins = np.ones_like(y, dtype=bool)
    ins[rows, cols] = df["in_stock"].to_numpy(bool)
    # before a series' first record it did not exist; after it, a missing period means no sale
    first = np.where(np.isnan(y), dates.size, np.arange(dates.size)[None, :]).min(1)
    after = np.arange(dates.size)[None, :] >= first[:, None]
    y = np.where(np.isnan(y) & after, 0.0, y)
    return ids, y, ins, dates, kind


def read_initial_state(path, ids, L):
    df = pd.read_csv(path).set_index("unique_id")
    df.index = df.index.astype(str)
    need = ["on_hand"] + [f"in_transit_{k}" for k in range(1, L + 1)]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}")
    df = df.reindex(ids)
    if df[need].isna().any().any():
        raise ValueError(f"{path}: no row for unique_id(s) {list(df.index[df[need].isna().any(axis=1)][:5])}")
    return df["on_hand"].to_numpy(float), df[need[1:]].to_numpy(float)


# ----------------------------------------------------------------------------- forecasts
class ForecastSource:
    """Quantile forecasts of the next H periods at each origin, from the project's model
    when it can be used, else empirical quantiles of the last 52 uncensored periods."""

    def __init__(self, ids, y, ins, dates, freq, fit_end, horizon, seconds, log=print, train_overrides=None,
                 pretrained: bytes | None = None, seed: int = 0):
        self.y, self.ins, self.H = y, ins, horizon
        self.source, self.note, self.model = "empirical_quantiles", "", None
        try:
            from forecasting.ml.base import QUANTILES
            from forecasting.ml.data import panel_from_long
            from forecasting.ml.train import TrainConfig
            rr, cc = np.nonzero(~np.isnan(y))
            long = pd.DataFrame({"unique_id": ids[rr], "ds": dates[cc], "y": y[rr, cc]})
            censored = ~ins[rr, cc]
            long.loc[censored, "y"] = np.nan  # censored periods: unknown demand
            long = long.dropna(subset=["y"])
            self.panel = panel_from_long(long, freq="W" if freq.upper().startswith("W") else "D")
            order = pd.Index(self.panel.ids).get_indexer(ids)
            if (order < 0).any():
                raise RuntimeError(f"{int((order < 0).sum())} series have no uncensored period")
            # the panel's grid starts at its first observed period: bench column c is panel column c - offset
            self.offset = int(dates.get_loc(self.panel.dates[0]))
            self.order = order
            self.levels = np.asarray(QUANTILES)
            self._fit_args = (TrainConfig(max_seconds=seconds, seed=seed, **(train_overrides or {})), pretrained,
                              horizon)
            self.model, how, secs = self._fit(fit_end)
            self.panel = self.panel.extend(self.model.horizon)  # covariates for the last decisions' future
            self.source = "forecasting.ml.GlobalForecaster"
            self.note = f"{self.model.name} {how} on periods < {fit_end} in {secs:.0f}s"
        except Exception as e:  # the bench must still run without the forecasting model
            self.model = None
            self.levels = np.array([0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99])
            self.note = f"forecasting model unavailable ({type(e).__name__}: {e}); empirical quantiles used"
        log(f"[forecast] {self.source}: {self.note}")

    def _fit(self, end):
        """A forecaster trained on the periods before ``end``: -> (model, how, seconds)."""
        from forecasting.ml.train import GlobalForecaster
        tc, pretrained, horizon = self._fit_args
        t0 = time.perf_counter()
        start = None
        if pretrained is not None:
            # as the product starts a catalogue without a model of its own (forecasting/starts.py):
            # fine-tuned from the checkpoint by pretrained_finetuning's rule, at the checkpoint's
            # horizon (its output layer's), of which the protection interval's first H are read
            from forecasting.ml.trainer import pretrained_finetuning
            start = GlobalForecaster.from_bytes(pretrained)
            if start.horizon < horizon:
                raise ValueError(f"the checkpoint forecasts {start.horizon} periods, the protection "
                                 f"interval is {horizon}")
            tc = pretrained_finetuning(tc, end - self.offset, self.panel.freq)
        model = GlobalForecaster(horizon=start.horizon if start is not None else horizon, train=tc, init_from=start)
        model.fit(self.panel, end=end - self.offset)
        how = "fine-tuned from the checkpoint" if start is not None else "trained from scratch"
        return model, how, time.perf_counter() - t0

    def refit(self, end, log=print):
        """The forecaster retrained on the periods before ``end`` (the same settings and seed), as
        the product retrains before it forecasts; None when the model is unavailable."""
        if self.model is None:
            return None
        model, how, secs = self._fit(end)
        log(f"[forecast] refitted ({how}) on periods < {end} in {secs:.0f}s")
        return model

    def predict(self, origin, model=None):
        """(mean (N, H), quantiles (N, H, Q)) of periods origin .. origin+H-1 (history < origin only),
        from ``model`` (default: the one fitted at construction)."""
        model = model or self.model
        if model is not None:
            fc = model.predict(self.panel, origin=origin - self.offset, horizon=model.horizon)
            return (fc.mean[self.order, :self.H].astype(float),
                    fc.quantiles[self.order, :self.H].astype(float))
        w = self.y[:, max(0, origin - 52):origin]
        w = np.where(self.ins[:, max(0, origin - 52):origin], w, np.nan)
        with np.errstate(all="ignore"):
            q = np.nan_to_num(np.nanquantile(w, self.levels, axis=1).T)
            m = np.nan_to_num(np.nanmean(w, axis=1))
        return np.repeat(m[:, None], self.H, axis=1), np.repeat(q[:, None, :], self.H, axis=1)


# ----------------------------------------------------------------------------- learned policy
def train_rl(y, ins, end, L, h, p, args, log=print, stats=None):
    """Items = a grid of (mean, cv) spanning the catalogue's statistics before ``end`` (``stats``:
    (mean, cv) per series to span instead)."""
    if stats is None:
        mean, std = past_stats(y, ins, end, STATS_WINDOW)
        active = mean > 0
        cv = np.where(active, std / np.maximum(mean, 1e-9), 0)
    else:
        mean, cv = stats
        active = mean > 0.01
    m_grid = np.unique(np.round(np.quantile(mean[active], [0.1, 0.35, 0.65, 0.9]), 2))
    c_grid = np.unique(np.round(np.quantile(cv[active], [0.2, 0.5, 0.8]), 2))
    items = [agent.Item(float(max(m, 0.05)), L, p, h, cv=float(max(c, 0.05))) for m in m_grid for c in c_grid]
    t0 = time.perf_counter()
    init = []
    for i, it in enumerate(items):
        S, r = agent.tune_capped_base_stock(it, episodes=30, periods=600, seed=i)
        init.append(capped_base_stock(S, r))
    cfg = agent.DCLConfig(seed=args.seed, iterations=args.rl_iterations, states_per_item=args.rl_states,
                          rollouts=args.rl_rollouts, fit_steps=args.rl_fit_steps)
    net, tlog = agent.train_dcl(items, init, cfg, log=log)
    info = {"items": [{"mean": it.mean, "cv": it.cv} for it in items], "seconds": time.perf_counter() - t0,
            "rounds": tlog.rounds}
    return net, info


# ----------------------------------------------------------------------------- the run
def _classes(y, col):
    """Demand class per series from its history up to and including column ``col``."""
    return classify(y[:, :col + 1], window=104)


def _realised(y, col, periods):
    """Demand of the protection interval after a decision at the end of column ``col``."""
    return np.nansum(y[:, col + 1:col + 1 + periods], axis=1)


def class_quantiles(scores, classes, levels=SCORE_LEVELS, min_cases: int = PRODUCT_MIN_CASES) -> dict:
    """{class: the scores' quantiles at ``levels``} ("*": pooled; a class with fewer than
    ``min_cases`` cases has none of its own), as the product stores a run's holdout scores."""
    table = {"*": np.quantile(scores, levels)}
    for c in np.unique(classes):
        if (classes == c).sum() >= min_cases:
            table[str(c)] = np.quantile(scores[classes == c], levels)
    return table


def known_decisions(c, cols, origin, H, window) -> tuple:
    """The decision columns among ``cols`` whose protection interval (``H`` periods after the
    decision) has ended by the end of period ``c`` >= ``origin``: the last ``window`` of them
    (0: those known at the origin, whatever ``c``). What a decision at ``c`` may calibrate on."""
    end = origin if window == 0 else c
    lo = -np.inf if window == 0 else c - H - window
    return tuple(k for k in cols if lo < k <= end - H)


def fit_schedule(first, origin, end, every) -> list:
    """The ends (exclusive) of the forecaster's training data: the first fit's, then every ``every``
    periods before ``end`` (0: once more, at the evaluation's ``origin``)."""
    return [first] + (list(range(first + every, end, every)) if every else [origin])


def fit_in_force(ends, c) -> int:
    """The end of the latest fit a decision at the end of column ``c`` may use: trained on columns <= c."""
    return max(e for e in ends if e <= c + 1)


def _coverage(levels_by_col, y, ins, cols, periods, classes):
    """Share of decisions whose protection-interval demand stayed at or below S (cases with a
    censored period in the interval are left out: their demand is unknown), overall and per class."""
    hit, cls = [], []
    for c in cols:
        ok = ins[:, c + 1:c + 1 + periods].all(1)
        hit.append((_realised(y, c, periods) <= levels_by_col[c])[ok])
        cls.append(classes[ok])
    hit, cls = np.concatenate(hit), np.concatenate(cls)
    out = {"all": round(float(hit.mean()), 4) if hit.size else None, "cases": int(hit.size)}
    # a series that sold nothing in its classification window orders up to 0 and sells 0: always
    # covered. Its cases lift "all"; "selling" leaves them out
    selling = cls != "no_demand"
    out["selling"] = round(float(hit[selling].mean()), 4) if selling.any() else None
    out["cases_by_class"] = {}
    for c in np.unique(cls):
        out[str(c)] = round(float(hit[cls == c].mean()), 4)
        out["cases_by_class"][str(c)] = int((cls == c).sum())
    return out


def run(args, log=print):
    torch.set_num_threads(args.threads)
    ids, y, ins, dates, kind = load_sales(args.sales, args.freq)
    L, h, p, P = args.lead_time, args.holding, args.shortage, args.periods
    W = args.select_periods or 2 * P
    if L < 0:
        raise ValueError(f"--lead-time must be >= 0, got {L}")
    if h < 0 or p < 0:
        raise ValueError("--holding and --shortage must be >= 0")
    T = y.shape[1]
    T0 = T - P               # first evaluation period; the origin is the end of period T0 - 1
    S0 = T0 - W              # first selection period (the replay the selection is made on)
    if S0 - MA_WINDOW < 1:
        raise ValueError(f"{T} periods are too few for {W} selection + {P} evaluation periods")
    N = ids.size
    observed = ins & ~np.isnan(y)
    never = int((np.nan_to_num(y[:, :T0]).sum(1) == 0).sum())
    log(f"[data] {args.sales} ({kind}): {N} series x {T} periods ({dates[0].date()}..{dates[-1].date()}), "
        f"evaluating the last {P} from {dates[T0].date()} after selecting on the {W} before; "
        f"{int((~ins).sum())} censored periods; every series kept ({never} never sold before the evaluation)")
    fractile = p / (p + h)
    H = L + 1                # the protection interval: lead time + one review period
    meta = {"series": int(N), "dropped": 0, "never_sold_before_evaluation": never, "periods": P,
            "select_periods": W, "lead_time": L, "lead_time_std": args.lead_time_std, "fractile": fractile,
            "kind": kind}

    def start_state(first):
        m8, _ = past_stats(y, observed, first, MA_WINDOW)
        return np.round(m8), np.repeat(np.round(m8)[:, None], L, axis=1)

    def play(first, periods, levels_or_fn, seed):
        on_hand0, pipe0 = start_state(first)
        if first == T0 and args.initial_state:
            on_hand0, pipe0 = read_initial_state(args.initial_state, ids, L)
        base = first - 1      # column of the origin
        if callable(levels_or_fn):
            decide = lambda s: levels_or_fn(base + s.t, s)  # noqa: E731
        else:
            decide = lambda s: order_up_to(levels_or_fn[base + s.t], s)  # noqa: E731
        return replay(y[:, first:first + periods], decide, L, h, p, on_hand0, pipe0, lead_time_std=args.lead_time_std,
                      seed=seed, history_sold=np.nan_to_num(y[:, base]))

    sel_cols = range(S0 - 1, T0 - 1)         # decisions of the selection replay
    ev_cols = range(T0 - 1, T - 1)            # decisions of the evaluation replay
    all_cols = list(sel_cols) + list(ev_cols)

    # --- demand views: moving average, and the project's forecasts (raw and calibrated) ------
    S_ma = {c: moving_average_level(y, observed, c + 1, H, fractile) for c in all_cols}
    overrides = catalogue_settings(getattr(args, "mask_stockouts", "both"), getattr(args, "weight_average", "on"))
    pretrained = Path(args.pretrained).read_bytes() if getattr(args, "pretrained", None) else None
    fs = ForecastSource(ids, y, ins, dates, args.freq, S0, H, args.forecast_seconds, log, train_overrides=overrides,
                        pretrained=pretrained, seed=getattr(args, "forecast_seed", 0))
    meta["forecast_source"], meta["forecast_note"] = fs.source, fs.note
    # decisions are made, as the product makes them, by a forecaster retrained on the history before
    # them: retrained at the evaluation's origin (--refit-every 0) or every K periods from the selection
    # window's start (the product retrains nightly; K trades that fidelity for the bench's time). The
    # first one's evaluation decisions are kept as their own row (``..._before_refit``).
    fit_ends = fit_schedule(S0, T0, T, args.refit_every) if args.refit == "on" and fs.model is not None else [S0]
    fitted = {S0: fs.model, **{e: fs.refit(e, log) for e in fit_ends[1:]}}
    meta["forecast_refit"], meta["forecast_fits"] = len(fit_ends) > 1, [int(e) for e in fit_ends]

    def model_at(c):
        return fitted[fit_in_force(fit_ends, c)]
    t0 = time.perf_counter()

    # the conformal scale's spread: by day, over the product's window (sum_calibration.SCALE_WINDOW
    # days, as a live decision reads it); by week, over STATS_WINDOW weeks (the product reads days,
    # which a weekly file does not hold)
    spread_window = SCALE_WINDOW if args.freq.upper().startswith("D") else STATS_WINDOW

    def views_at(c, model=None):
        """(sum quantiles at GRID + the fractile, the conformal view's centre and scale) at column c."""
        mean, qs = fs.predict(c + 1, model)
        sums = sum_quantiles(qs, fs.levels, np.append(GRID, fractile), H, seed=c)
        # the conformal view: the forecast's expected sum, and a scale from the series' own
        # recent spread (at least the Poisson one: demand is counts)
        centre = mean[:, :H].sum(1)
        if args.centre_blend:
            # a combination with the moving average's sum (--centre-blend: its weight)
            m8, _ = past_stats(y, observed, c + 1, MA_WINDOW)
            centre = (1 - args.centre_blend) * centre + args.centre_blend * np.maximum(m8, 0) * H
        _, sd = past_stats(y, observed, c + 1, spread_window)
        history = sd * np.sqrt(H)
        # the model's own spread of the sum: its per-period 10-90 % width as a normal's sd,
        # periods independent (the conformal scores absorb the dependence)
        lo, hi = np.searchsorted(fs.levels, 0.1), np.searchsorted(fs.levels, 0.9)
        model_sd = np.sqrt((((qs[:, :H, hi] - qs[:, :H, lo]) / 2.5631) ** 2).sum(1))
        spread = {"history": history, "model": model_sd, "blend": np.sqrt(history * model_sd)}[args.conformal_scale]
        return sums, centre, np.maximum(np.maximum(spread, np.sqrt(centre)), 1e-6)

    # the first model at every origin, and the retrained ones where they are in force
    todo = [(c, None) for c in all_cols] + [(c, model_at(c)) for c in all_cols if model_at(c) is not fs.model]
    first, retrained = {}, {}
    for i, (c, model) in enumerate(todo):
        (first if model is None else retrained)[c] = views_at(c, model)
        if (i + 1) % max(1, len(todo) // 10) == 0:    # a catalogue of thousands by day takes minutes
            log(f"[forecast] interval sums at {i + 1}/{len(todo)} origins, {time.perf_counter() - t0:.0f}s")
    latest = {**first, **retrained}
    sums, centre, scale = ({c: v[k] for c, v in latest.items()} for k in range(3))
    stale = {name: {c: v[k] for c, v in first.items()} for k, name in enumerate(("sums", "centre", "scale"))}
    S_raw = {c: sums[c][:, -1] for c in all_cols}
    classes = {c: _classes(y, c) for c in all_cols}
    # calibrate on decisions whose outcome is known: the selection window's decisions on the whole
    # selection window's known cases; an evaluation decision at the end of period c, as the product
    # recalibrates every run on its newest holdout, on the cases known by then (the last
    # ``cal_window`` decision columns whose protection interval has ended; 0: those of the origin)
    cal_cols = [c for c in sel_cols if c + H < T0]
    cal_ok = np.concatenate([ins[:, c + 1:c + 1 + H].all(1) for c in cal_cols])
    cal_real = np.concatenate([_realised(y, c, H) for c in cal_cols])[cal_ok]
    cal_window = W if args.calibration_window is None else args.calibration_window
    meta["calibration_window"] = cal_window

    def known_cols(c):
        return known_decisions(c, all_cols, T0 - 1, H, cal_window) if c >= T0 - 1 else tuple(cal_cols)

    cache = {}

    def calibration_at(c, views):
        """(levels of the recalibrated view, conformal offsets, score quantiles) for a decision at column c
        from the cases known then of ``views`` ("latest" or "stale": (sums, centre, scale) by column)."""
        key = (views, known_cols(c))
        if key not in cache:
            sums_, centre_, scale_ = (latest_views if views == "latest" else stale_views)
            cols = key[1]
            ok = np.concatenate([ins[:, k + 1:k + 1 + H].all(1) for k in cols])
            real = np.concatenate([_realised(y, k, H) for k in cols])[ok]
            cls = np.concatenate([classes[k] for k in cols])[ok]
            scores = np.concatenate([(_realised(y, k, H) - centre_[k]) / scale_[k] for k in cols])[ok]
            cache[key] = (calibrated_levels(np.concatenate([sums_[k][:, :-1] for k in cols])[ok], real, cls, fractile),
                          # the product's conformal view and score tables give a class its own from
                          # sum_calibration.MIN_CASES cases on
                          conformal_offsets(scores, cls, fractile, min_cases=PRODUCT_MIN_CASES),
                          class_quantiles(scores, cls))
        return cache[key]

    latest_views, stale_views = (sums, centre, scale), (stale["sums"], stale["centre"], stale["scale"])
    calibration, conformal, _ = calibration_at(T0 - 1, "latest")
    meta["calibration"], meta["conformal"] = calibration, conformal
    meta["calibration_cases"] = calibration["cases"]["*"]

    def recalibrated(sums_by_col, views="latest"):
        out = {}
        for c in all_cols:
            want = level_for(calibration_at(c, views)[0], classes[c])
            j = np.clip(np.searchsorted(GRID, want), 0, GRID.size - 1)
            out[c] = sums_by_col[c][np.arange(N), j]
        return out

    def conformal_levels(centre_by_col, scale_by_col, views="latest"):
        return {c: np.maximum(centre_by_col[c] + offset_for(calibration_at(c, views)[1], classes[c])
                              * scale_by_col[c], 0) for c in all_cols}

    S_cal, S_conf = recalibrated(sums), conformal_levels(centre, scale)
    last, last_conf, _ = calibration_at(T - 2, "latest")
    meta["calibration_last"] = {"levels": last["levels"], "offsets": last_conf["offsets"], "cases": last["cases"]}
    log(f"[forecast] sum quantiles at {len(all_cols)} origins in {time.perf_counter() - t0:.0f}s; calibrated levels "
        + ", ".join(f"{k} {v:.3f}" for k, v in calibration["levels"].items()))

    # --- the learned policy ------------------------------------------------------------------
    def forecast_stats(col):
        """The learned policy's inputs at column ``col`` as the product feeds them (replenishment.learned.rl_order):
        the mean and cv per period of the calibrated forecast's protection-interval demand (the conformal
        distribution: centre + scale x the class's score quantiles)."""
        score_table = calibration_at(col, "latest")[2]
        q = np.stack([score_table.get(str(k), score_table["*"]) for k in classes[col]])
        interval = interval_values(centre[col], scale[col], q)
        return per_period_demand(interval.mean(1), interval.std(1), L, 1)

    if args.rl_policy and os.path.exists(args.rl_policy):
        net, info = agent.load(args.rl_policy), {"loaded": args.rl_policy}
    else:
        # the items span what the network will be fed: the forecast's statistics at the selection window's
        # first decision (--rl-items history: the last 26 periods' mean and cv)
        net, info = train_rl(y, ins, S0, L, h, p, args, log,
                             stats=forecast_stats(S0 - 1) if args.rl_items == "forecast" else None)
        if args.rl_save:
            os.makedirs(os.path.dirname(args.rl_save) or ".", exist_ok=True)
            agent.save(net, args.rl_save, {"lead_time": L, "holding": h, "shortage": p})
    meta["rl"] = info

    def rl_moving_avg_decide(col, s):
        # the same demand estimate as the moving-average base-stock (last 8 uncensored
        # periods), so that the two differ only in the ordering rule
        m, sd = past_stats(y, observed, col + 1, MA_WINDOW)
        m = np.maximum(m, 0.05)
        obs = replay_observation(s.on_hand, s.pipeline, L)
        pol = agent.NetworkPolicy(net, m, L, p, h, np.maximum(sd / m, 0.05))
        return np.rint(pol.action_index(obs) * agent.order_unit(m))

    def rl_decide(col, s):
        m, cv = forecast_stats(col)
        obs = replay_observation(s.on_hand, s.pipeline, L)
        pol = agent.NetworkPolicy(net, m, L, p, h, cv)
        return np.rint(pol.action_index(obs) * agent.order_unit(m))

    # --- the forecast's safety factor chosen by what the selection window's replay cost -------
    # (replenishment.policies.tuning), as the product's replay tunes its ``base_stock_tuned`` method
    # (replenishment/replays.py): in-sample on the window the selection then compares it on.
    cls_now = classes[T0 - 1]          # history before the evaluation only
    def at_factor(k, cols=all_cols):
        """Order-up-to levels centre + k x scale (k a number or one per series) at columns ``cols``."""
        return {c: np.maximum(centre[c] + k * scale[c], 0) for c in cols}

    costs = cost_by_factor(lambda k: play(S0, W, at_factor(k, sel_cols), seed=args.seed).total)
    tuned = tuned_factors(costs, cls_now)
    k_tuned = factor_for(tuned, cls_now)
    S_tuned = at_factor(k_tuned)
    meta["tuned"] = tuned
    log("[tuned] safety factor by class: " + ", ".join(f"{c} {v:+.1f}" for c, v in tuned["factors"].items()))
    # the same choice inside the coverage band: per class, the cheapest factor whose backtest
    # coverage (the calibration's cases) lies within COVERAGE_BAND of the fractile
    cal_cls = np.concatenate([classes[c] for c in cal_cols])[cal_ok]
    cal_centre = np.concatenate([centre[c] for c in cal_cols])[cal_ok]
    cal_scale = np.concatenate([scale[c] for c in cal_cols])[cal_ok]
    # (cases, G): each factor's level, covered as _coverage counts it
    band_levels = np.maximum(cal_centre[:, None] + FACTORS[None, :] * cal_scale[:, None], 0)
    band_cov = {"*": coverage(band_levels, cal_real),
                **{str(c): coverage(band_levels[cal_cls == c], cal_real[cal_cls == c]) for c in np.unique(cal_cls)}}
    tuned_band = tuned_factors(costs, cls_now, coverage=band_cov, target=fractile, band=COVERAGE_BAND)
    k_band = factor_for(tuned_band, cls_now)
    S_band = at_factor(k_band)
    meta["tuned_in_band"] = tuned_band
    log("[tuned in band] safety factor by class: "
        + ", ".join(f"{c} {v:+.1f}" for c, v in tuned_band["factors"].items()))

    methods = {
        "order_what_sold": lambda col, s: s.sold,
        "base_stock_forecast_tuned": S_tuned,
        "base_stock_forecast_tuned_in_band": S_band,
        "base_stock_moving_avg": S_ma,
        "base_stock_forecast_raw": S_raw,
        "base_stock_forecast_recalibrated": S_cal,
        "base_stock_forecast_conformal": S_conf,
        "rl": rl_decide,
        "rl_moving_avg": rl_moving_avg_decide,
    }
    evaluation, selection = {}, {}
    for name, how in methods.items():
        selection[name] = play(S0, W, how, seed=args.seed)
        evaluation[name] = play(T0, P, how, seed=args.seed + 1)
    # stockcast's forecast policy is the conformal view, the one the product decides with
    # (replenishment.decision_demand.calibrated_forecast_demand, and its replay: replay_demand.py).
    # The recalibrated view stays a row beside it: the product does not run it
    views = ("base_stock_forecast_recalibrated", "base_stock_forecast_conformal")
    meta["forecast_view"] = "base_stock_forecast_conformal"
    methods["base_stock_forecast"] = methods["base_stock_forecast_conformal"]
    selection["base_stock_forecast"] = selection["base_stock_forecast_conformal"]
    evaluation["base_stock_forecast"] = evaluation["base_stock_forecast_conformal"]
    S_fc = S_conf
    cov_cols = [c for c in ev_cols if c + H < T]
    if meta["forecast_refit"]:
        S_stale = conformal_levels(stale["centre"], stale["scale"], "stale")
        evaluation["base_stock_forecast_before_refit"] = play(T0, P, S_stale, seed=args.seed + 1)

    # --- a bound, not a policy: the forecast's own order-up-to level set, with hindsight, to the
    # evaluation's cheapest level whose coverage of the selling series lies within 3 points of the
    # fractile (one nominal level of the sum, or one conformal factor, for every series). Above the
    # moving average, no single level of this forecast meets both of #16's targets.
    sweep = []
    for j, level in enumerate(GRID):
        S_j = {c: sums[c][:, j] for c in ev_cols}
        covered = _coverage(S_j, y, ins, cov_cols, H, classes[T0 - 1])["selling"]
        sweep.append(("recalibrated", float(level), covered, play(T0, P, S_j, seed=args.seed + 1)))
    for k in FACTORS:
        S_k = at_factor(k, ev_cols)
        covered = _coverage(S_k, y, ins, cov_cols, H, classes[T0 - 1])["selling"]
        sweep.append(("conformal", float(k), covered, play(T0, P, S_k, seed=args.seed + 1)))
    in_band = [row for row in sweep if row[2] is not None and abs(row[2] - fractile) <= 0.03]
    meta["level_sweep"] = [{"view": v, "level": lv, "coverage": cv, "total": round(float(r.total.sum()), 2)}
                           for v, lv, cv, r in sweep]
    if in_band:
        v, lv, cv, r = min(in_band, key=lambda row: row[3].total.sum())
        evaluation["hindsight_forecast_in_band"] = r
        meta["in_band"] = {"view": v, "level": lv, "coverage": cv}

    # --- the selected policy: chosen per class / pair on the selection replay only -------------
    share = (np.nan_to_num(y[:, S0:T0]) > 0).mean(1)
    fields = ("holding", "shortage", "ordered", "demand", "sold", "lost")

    def select(exclude, **guards):
        candidates = {k: v.total for k, v in selection.items() if k not in exclude}
        chosen, by_class = select_methods(candidates, classes[T0 - 1], share, "base_stock_forecast",
                                          per_period={k: selection[k].by_period for k in candidates}, **guards)
        names = [n for n in methods if n in candidates]
        pick = np.array([names.index(c) for c in chosen])
        combined = {f: np.choose(pick, [getattr(evaluation[n], f) for n in names]) for f in fields}
        # per-period totals are not kept per series; the sum stays exact
        return ReplayResult(**combined, per_period=np.zeros(P)), {
            "by_class": by_class, "pairs": {n: int((chosen == n).sum()) for n in names if (chosen == n).any()}}

    # the candidates are the methods the product runs (the uncalibrated forecast is not one, nor the
    # in-band tuned factor, nor the learned policy fed the moving average)
    not_product_methods = ("base_stock_forecast_raw", "base_stock_forecast_tuned_in_band", "rl_moving_avg") + views
    # rows combined series by series from other rows: no per-period totals of their own
    combined_rows = ["selected", "selected_unguarded", "selected_without_tuned",
                     "hindsight_best_per_class", "hindsight_best_per_series"]
    evaluation["selected"], meta["selection"] = select(not_product_methods)
    # without the guards against noise: each series' own cheapest method of the selection window
    evaluation["selected_unguarded"], meta["selection_unguarded"] = select(
        not_product_methods, class_margin=0.0, pair_margin=0.0, min_selling_share=0.0, min_t=-np.inf)
    evaluation["selected_without_tuned"], meta["selection_without_tuned"] = select(
        not_product_methods + ("base_stock_forecast_tuned",))
    names = [n for n in methods if n not in not_product_methods]
    levels_of = {"base_stock_forecast": S_fc, "base_stock_forecast_recalibrated": S_cal,
                 "base_stock_forecast_conformal": S_conf, "base_stock_forecast_raw": S_raw,
                 "base_stock_moving_avg": S_ma, "base_stock_forecast_tuned": S_tuned,
                 "base_stock_forecast_tuned_in_band": S_band}
    if meta["forecast_refit"]:
        levels_of["base_stock_forecast_before_refit"] = S_stale
    meta["coverage"] = {
        "target": round(fractile, 4),
        **({"hindsight_forecast_in_band": {"selling": meta["in_band"]["coverage"]}} if in_band else {}),
        **{name: _coverage(levels, y, ins, cov_cols, H, classes[T0 - 1]) for name, levels in levels_of.items()},
    }
    # hindsight bounds of the choice itself: how much choosing among these methods can ever buy
    stack = np.stack([evaluation[n].total for n in names])
    cls = classes[T0 - 1]
    per_class = np.zeros(stack.shape[1], int)
    for c in np.unique(cls):
        rows = cls == c
        per_class[rows] = int(np.argmin(stack[:, rows].sum(1)))
    for label, pick_ in (("hindsight_best_per_class", per_class), ("hindsight_best_per_series", stack.argmin(0))):
        bound = {f: np.choose(pick_, [getattr(evaluation[n], f) for n in names]) for f in fields}
        evaluation[label] = ReplayResult(**bound, per_period=np.zeros(P))
    results = {k: v.summary() for k, v in evaluation.items()}
    for k in combined_rows:
        results[k].pop("per_period")
    meta["selection_replay"] = {k: round(float(v.total.sum()), 2) for k, v in selection.items()}
    # per demand class (the class the selection used): where a class's choice won or lost
    meta["by_class"] = {window: {k: {str(c): round(float(v.total[cls == c].sum()), 2) for c in np.unique(cls)}
                                 for k, v in rows.items() if k not in combined_rows}
                        for window, rows in (("selection", selection), ("evaluation", evaluation))}
    meta["by_class"]["selection_by_period"] = {
        k: {str(c): np.round(v.by_period[cls == c].sum(0), 2).tolist() for c in np.unique(cls)}
        for k, v in selection.items()}
    return results, meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sales", required=True)
    ap.add_argument("--freq", default="W")
    ap.add_argument("--lead-time", type=int, default=2)
    ap.add_argument("--lead-time-std", type=float, default=0.0)
    ap.add_argument("--holding", type=float, default=0.2)
    ap.add_argument("--shortage", type=float, default=1.0)
    ap.add_argument("--periods", type=int, default=8)
    ap.add_argument("--select-periods", type=int, default=None)
    ap.add_argument("--initial-state", default=None)
    ap.add_argument("--forecast-seconds", type=float, default=240.0)
    ap.add_argument("--mask-stockouts", choices=["both", "on", "off"], default="both",
                    help="the forecaster's stock-out masking (manage.py forecast's option; README: off for a "
                         "seasonal weekly catalogue like Online Retail)")
    ap.add_argument("--weight-average", choices=["on", "off"], default="on",
                    help="the forecaster's weight averaging (README: off for Online Retail)")
    ap.add_argument("--refit", choices=["on", "off"], default="on",
                    help="retrain the forecaster on the history before the evaluation for the evaluation's "
                         "decisions, as the product retrains before it forecasts (off: the model fitted before "
                         "the selection window decides the evaluation too)")
    ap.add_argument("--refit-every", type=int, default=0,
                    help="with --refit on, retrain the forecaster every K periods from the selection window's start "
                         "(0: once, at the evaluation's origin)")
    ap.add_argument("--calibration-window", type=int, default=None,
                    help="an evaluation decision is calibrated on the cases known when it is taken: those of the "
                         "last N decision periods whose protection interval has ended (default: the selection "
                         "window's length; 0: the cases known at the origin, for every evaluation decision)")
    ap.add_argument("--conformal-scale", choices=["history", "model", "blend"], default="history",
                    help="the conformal view's scale: the series' last 26 periods' spread x sqrt(L+1) (the product's), "
                         "the model's own spread of the sum (its 10-90 %% width per period), or their geometric mean")
    ap.add_argument("--centre-blend", type=float, default=0.0,
                    help="the conformal view's centre as (1 - w) x the forecast's sum + w x the last 8 periods' "
                         "mean x (L+1) (default 0: the forecast's alone, the product's)")
    ap.add_argument("--pretrained", default=None,
                    help="a checkpoint of python -m forecasting.pretrain of the data's frequency: the forecaster "
                         "is fine-tuned from it, as the product starts a catalogue without a model of its own "
                         "(default: trained from scratch; for an honest replay the checkpoint must not have "
                         "seen the file: pretrain it with --leave-out)")
    ap.add_argument("--rl-policy", default=None, help="load a saved policy instead of training")
    ap.add_argument("--rl-save", default=None)
    ap.add_argument("--rl-items", choices=["forecast", "history"], default="forecast",
                    help="the learned policy's training items span the forecast's statistics (what the network is "
                         "fed) or the last 26 periods' mean and cv")
    ap.add_argument("--rl-iterations", type=int, default=1,
                    help="the learned policy's policy-improvement rounds (the product trains 1)")
    ap.add_argument("--rl-states", type=int, default=1500)
    ap.add_argument("--rl-rollouts", type=int, default=48)
    ap.add_argument("--rl-fit-steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1, help="the learned policy's and the lead-time draws' seed")
    ap.add_argument("--forecast-seed", type=int, default=0, help="the forecaster's training seed")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    results, meta = run(args)
    base = results["order_what_sold"]["total_cost"]
    floor = min(results["order_what_sold"]["total_cost"], results["base_stock_moving_avg"]["total_cost"])
    cov = meta["coverage"]
    print(f"\n{'policy':24s} {'total':>12s} {'holding':>11s} {'shortage':>11s} {'fill':>6s} "
          f"{'vs sold':>8s} {'vs best simple':>14s} {'coverage (selling series)':>9s}")
    for name, r in sorted(results.items(), key=lambda kv: kv[1]["total_cost"]):
        c = cov.get(name, {}).get("selling")
        print(f"{name:24s} {r['total_cost']:12.1f} {r['holding_cost']:11.1f} {r['shortage_cost']:11.1f} "
              f"{r['fill_rate']:6.3f} {r['total_cost'] / base:8.3f} {r['total_cost'] / floor:14.3f} "
              f"{'' if c is None else f'{c:.3f}':>9s}")
    fc_cov = cov["base_stock_forecast"]
    print(f"coverage target {cov['target']:.3f}; forecast policy: selling series {fc_cov['selling']}, by class "
          + ", ".join(f"{k} {v}" for k, v in fc_cov.items() if k not in ("all", "cases", "selling", "cases_by_class")))
    print(f"forecast policy = {meta['forecast_view']} (the product's)")
    print(f"selected: {meta['selection']['pairs']} (by class {meta['selection']['by_class']})")
    print(f"tuned safety factors {meta['tuned']['factors']}; selected_without_tuned: "
          f"{meta['selection_without_tuned']['pairs']} (by class {meta['selection_without_tuned']['by_class']})")
    print(f"forecasts: {meta['forecast_source']} ({meta['forecast_note']}); {time.perf_counter() - t0:.0f}s")
    out = {"policies": results, "meta": meta, "settings": vars(args)}
    path = args.json or f"var/bench/replenish_{Path(args.sales).stem}.json"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1, default=float)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
