"""Replay replenishment policies on real sales history.

    python -m bench.replenish --sales FILE --freq W --lead-time 2 --holding 0.2 \\
        --shortage 1 --periods 8 [--initial-state FILE] [--json OUT]

Files
  --sales          long format ``unique_id, ds, y`` (+ optional ``in_stock``: false where the
                   shelf was empty, so y understates demand; those periods are left out of
                   every demand estimate). Also accepted: the M5 folder (or its
                   sales_train_validation.csv) and the Online Retail II folder, converted
                   with forecasting.ml.data's loaders.
  --initial-state  ``unique_id, on_hand, in_transit_1..in_transit_L``; in_transit_k arrives
                   at the start of evaluation period k. Default: on hand and every
                   in-transit slot = the mean of the 8 periods before the evaluation.
Timing (per period t of the last ``--periods``): at the start what arrives is added to
stock; demand (y) is served from stock and the rest is lost; at the end holding cost is
charged on the stock left and shortage cost on the units lost; then the policy, which has
seen only periods <= t, orders; the order arrives at the start of period t + L + 1.
Stock in transit costs nothing. Costs are per unit per period (holding) and per unit lost.

Policies
  rl                       the global network (replenishment.rl.agent), trained in this run
                           in the simulator on negative-binomial demand fitted to the
                           catalogue's pre-evaluation history (a grid of mean x cv items);
                           at each decision it sees the pipeline and the item's mean and cv
                           over the last 8 uncensored periods (the moving average's estimate)
  base_stock_forecast      order up to the p/(p+h) quantile of demand over the next L+1
                           periods from the project's quantile forecasts
                           (forecasting.ml.GlobalForecaster fitted on the pre-evaluation
                           history; an empirical quantile forecast if that is unavailable:
                           the output says which)
  base_stock_moving_avg    S = (L+1) MA8 + z sigma8 sqrt(L+1)
  order_what_sold          order this period's sales
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
from scipy import stats

from replenishment.policies.demand import sample_from_quantiles
from replenishment.rl import agent

MA_WINDOW = 8
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
        df = long_from_panel(load_online_retail(p))[["unique_id", "ds", "y"]]
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


# ----------------------------------------------------------------------------- demand views
def past_stats(y, ins, end, window):
    """Mean and std per series over the last ``window`` uncensored periods before ``end``."""
    w = y[:, max(0, end - window):end]
    ok = ins[:, max(0, end - window):end] & ~np.isnan(w)
    cnt = ok.sum(1)
    mean = np.where(cnt > 0, np.where(ok, w, 0).sum(1) / np.maximum(cnt, 1), 0.0)
    var = np.where(cnt > 1, (np.where(ok, w - mean[:, None], 0) ** 2).sum(1) / np.maximum(cnt - 1, 1), 0.0)
    return mean, np.sqrt(var)


class ForecastSource:
    """Quantile forecasts of the next H periods at each origin, from the project's model
    when it can be used, else empirical quantiles of the last 52 uncensored periods."""

    def __init__(self, ids, y, ins, dates, freq, fit_end, horizon, seconds, log=print):
        self.y, self.ins, self.H = y, ins, horizon
        self.source, self.note, self.model = "empirical_quantiles", "", None
        try:
            from forecasting.ml.base import QUANTILES
            from forecasting.ml.data import panel_from_long
            from forecasting.ml.train import GlobalForecaster, TrainConfig
            rr, cc = np.nonzero(~np.isnan(y))
            long = pd.DataFrame({"unique_id": ids[rr], "ds": dates[cc], "y": y[rr, cc]})
            censored = ~ins[rr, cc]
            long.loc[censored, "y"] = np.nan  # censored periods: unknown demand
            long = long.dropna(subset=["y"])
            self.panel = panel_from_long(long, freq="W" if freq.upper().startswith("W") else "D")
            order = pd.Index(self.panel.ids).get_indexer(ids)
            if (order < 0).any():
                raise RuntimeError("panel lost series")
            self.order = order
            self.levels = np.asarray(QUANTILES)
            t0 = time.perf_counter()
            self.model = GlobalForecaster(horizon=horizon, train=TrainConfig(max_seconds=seconds, seed=0))
            self.model.fit(self.panel, end=fit_end)
            self.panel = self.panel.extend(horizon)  # covariates for the last decisions' future
            self.source = "forecasting.ml.GlobalForecaster"
            self.note = f"{self.model.name} fitted on periods < {fit_end} in {time.perf_counter() - t0:.0f}s"
        except Exception as e:  # the bench must still run without the forecasting model
            self.model = None
            self.levels = np.array([0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99])
            self.note = f"forecasting model unavailable ({type(e).__name__}: {e}); empirical quantiles used"
        log(f"[forecast] {self.source}: {self.note}")

    def quantiles(self, origin) -> np.ndarray:
        """(N, H, Q) quantiles of periods origin .. origin+H-1 (history < origin only)."""
        if self.model is not None:
            fc = self.model.predict(self.panel, origin=origin, horizon=self.H)
            return fc.quantiles[self.order].astype(float)
        w = self.y[:, max(0, origin - 52):origin]
        w = np.where(self.ins[:, max(0, origin - 52):origin], w, np.nan)
        with np.errstate(all="ignore"):
            q = np.nanquantile(w, self.levels, axis=1).T
        q = np.nan_to_num(q)
        return np.repeat(q[:, None, :], self.H, axis=1)


# ----------------------------------------------------------------------------- policies
def base_stock_from_quantiles(qs, levels, fractile, n_samples=2000, seed=0):
    """S per series = the fractile of the (L+1)-period demand sum, periods independent."""
    rng = np.random.default_rng(seed)
    N, H, Q = qs.shape
    S = np.empty(N)
    for lo in range(0, N, 256):
        blk = qs[lo:lo + 256]
        u = rng.random((blk.shape[0], H, n_samples))
        draws = sample_from_quantiles(levels, blk[:, :, None, :].repeat(n_samples, 2), u[..., None])[..., 0]
        S[lo:lo + 256] = np.quantile(draws.sum(1), fractile, axis=1, method="inverted_cdf")
    return S


def train_rl(y, ins, T0, L, h, p, args, log=print):
    """Items = a grid of (mean, cv) spanning the catalogue's pre-evaluation statistics."""
    mean, std = past_stats(y, ins, T0, STATS_WINDOW)
    active = mean > 0
    cv = np.where(active, std / np.maximum(mean, 1e-9), 0)
    m_grid = np.unique(np.round(np.quantile(mean[active], [0.1, 0.35, 0.65, 0.9]), 2))
    c_grid = np.unique(np.round(np.quantile(cv[active], [0.2, 0.5, 0.8]), 2))
    items = [agent.Item(float(max(m, 0.05)), L, p, h, cv=float(max(c, 0.05))) for m in m_grid for c in c_grid]
    t0 = time.perf_counter()
    init = []
    from replenishment.rl.heuristics import capped_base_stock
    for i, it in enumerate(items):
        S, r = agent.tune_capped_base_stock(it, episodes=30, periods=600, seed=i)
        init.append(capped_base_stock(S, r))
    cfg = agent.DCLConfig(seed=args.seed, iterations=1, states_per_item=args.rl_states,
                          rollouts=args.rl_rollouts, fit_steps=args.rl_fit_steps)
    net, tlog = agent.train_dcl(items, init, cfg, log=log)
    info = {"items": [dict(mean=it.mean, cv=it.cv) for it in items], "seconds": time.perf_counter() - t0,
            "rounds": tlog.rounds}
    return net, info


# ----------------------------------------------------------------------------- replay
def replay(name, y, T0, P, L, h, p, on_hand0, pipe0, decide):
    """Run one policy; ``decide(t_index, on_hand, pipeline) -> orders`` at the end of period t."""
    N = y.shape[0]
    on_hand = on_hand0.astype(float).copy()
    pipe = np.zeros((N, L + 1))
    pipe[:, :L] = pipe0
    hold, short, orders = np.zeros(P), np.zeros(P), []
    sold_last = None
    for t in range(P):
        col = T0 + t
        on_hand += pipe[:, 0]
        pipe[:, :-1] = pipe[:, 1:]
        pipe[:, -1] = 0
        d = np.nan_to_num(y[:, col])
        sold = np.minimum(d, on_hand)
        lost = d - sold
        on_hand -= sold
        hold[t] = h * on_hand.sum()
        short[t] = p * lost.sum()
        q = np.maximum(np.ceil(np.asarray(decide(col, on_hand.copy(), pipe[:, :L].copy(), sold), float) - 1e-9), 0)
        pipe[:, L] = q
        orders.append(float(q.sum()))
    return {"total_cost": float(hold.sum() + short.sum()), "holding_cost": float(hold.sum()),
            "shortage_cost": float(short.sum()), "per_period": (hold + short).round(4).tolist(),
            "units_ordered": float(np.sum(orders))}


def run(args, log=print):
    torch.set_num_threads(args.threads)
    ids, y, ins, dates, kind = load_sales(args.sales, args.freq)
    L, h, p, P = args.lead_time, args.holding, args.shortage, args.periods
    if L < 0:
        raise ValueError(f"--lead-time must be >= 0, got {L}")
    if h < 0 or p < 0:
        raise ValueError("--holding and --shortage must be >= 0")
    T = y.shape[1]
    T0 = T - P
    # series that exist for the whole evaluation and have sold something before it
    hist_mean, _ = past_stats(y, ins, T0, STATS_WINDOW)
    keep = ~np.isnan(y[:, max(0, T0 - MA_WINDOW):]).any(1) & (hist_mean > 0)
    ids, y, ins = ids[keep], y[keep], ins[keep]
    N = ids.size
    log(f"[data] {args.sales} ({kind}): {N} series x {T} periods ({dates[0].date()}..{dates[-1].date()}), "
        f"evaluating the last {P} from {dates[T0].date()}; {int((~ins).sum())} censored periods")
    if args.initial_state:
        on_hand0, pipe0 = read_initial_state(args.initial_state, ids, L)
    else:
        m8, _ = past_stats(y, ins, T0, MA_WINDOW)
        on_hand0, pipe0 = np.round(m8), np.repeat(np.round(m8)[:, None], L, axis=1)
    fractile = p / (p + h)
    results, meta = {}, {"series": int(N), "periods": P, "lead_time": L, "fractile": fractile, "kind": kind}

    # order what sold
    results["order_what_sold"] = replay("ows", y, T0, P, L, h, p, on_hand0, pipe0,
                                        lambda col, oh, pipe, sold: sold)

    # base-stock on a moving average
    z = stats.norm.ppf(fractile)

    def ma_decide(col, oh, pipe, sold):
        m, s = past_stats(y, ins, col + 1, MA_WINDOW)
        S = (L + 1) * m + z * s * np.sqrt(L + 1)
        return np.maximum(np.ceil(S) - oh - pipe.sum(1), 0)
    results["base_stock_moving_avg"] = replay("ma", y, T0, P, L, h, p, on_hand0, pipe0, ma_decide)

    # base-stock on the project's quantile forecasts
    fs = ForecastSource(ids, y, ins, dates, args.freq, T0, L + 1, args.forecast_seconds, log)
    meta["forecast_source"], meta["forecast_note"] = fs.source, fs.note

    def fc_decide(col, oh, pipe, sold):
        S = base_stock_from_quantiles(fs.quantiles(col + 1), fs.levels, fractile, seed=col)
        return np.maximum(np.ceil(S) - oh - pipe.sum(1), 0)
    results["base_stock_forecast"] = replay("fc", y, T0, P, L, h, p, on_hand0, pipe0, fc_decide)

    # RL
    if args.rl_policy and os.path.exists(args.rl_policy):
        net, info = agent.load(args.rl_policy), {"loaded": args.rl_policy}
    else:
        net, info = train_rl(y, ins, T0, L, h, p, args, log)
        if args.rl_save:
            os.makedirs(os.path.dirname(args.rl_save) or ".", exist_ok=True)
            agent.save(net, args.rl_save, {"lead_time": L, "holding": h, "shortage": p})
    meta["rl"] = info

    def rl_decide(col, oh, pipe, sold):
        # the same demand estimate as the moving-average base-stock (last 8 uncensored
        # periods), so that the two differ only in the ordering rule
        m, s = past_stats(y, ins, col + 1, MA_WINDOW)
        m = np.maximum(m, 0.05)
        obs = np.column_stack([oh + (pipe[:, 0] if L > 0 else 0), pipe[:, 1:], np.zeros(N)]) if L > 0 \
            else np.column_stack([oh, np.zeros(N)])
        pol = agent.NetworkPolicy(net, m, L, p, h, np.maximum(s / m, 0.05))
        return np.rint(pol.action_index(obs) * agent.order_unit(m))
    results["rl"] = replay("rl", y, T0, P, L, h, p, on_hand0, pipe0, rl_decide)
    return results, meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sales", required=True)
    ap.add_argument("--freq", default="W")
    ap.add_argument("--lead-time", type=int, default=2)
    ap.add_argument("--holding", type=float, default=0.2)
    ap.add_argument("--shortage", type=float, default=1.0)
    ap.add_argument("--periods", type=int, default=8)
    ap.add_argument("--initial-state", default=None)
    ap.add_argument("--forecast-seconds", type=float, default=240.0)
    ap.add_argument("--rl-policy", default=None, help="load a saved policy instead of training")
    ap.add_argument("--rl-save", default=None)
    ap.add_argument("--rl-states", type=int, default=1500)
    ap.add_argument("--rl-rollouts", type=int, default=48)
    ap.add_argument("--rl-fit-steps", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    results, meta = run(args)
    base = results["order_what_sold"]["total_cost"]
    print(f"\n{'policy':24s} {'total':>12s} {'holding':>12s} {'shortage':>12s} {'vs order-what-sold':>20s}")
    for name, r in sorted(results.items(), key=lambda kv: kv[1]["total_cost"]):
        print(f"{name:24s} {r['total_cost']:12.1f} {r['holding_cost']:12.1f} {r['shortage_cost']:12.1f} "
              f"{r['total_cost'] / base:20.3f}")
    print(f"forecasts: {meta['forecast_source']} ({meta['forecast_note']}); {time.perf_counter() - t0:.0f}s")
    out = {"policies": results, "meta": meta, "settings": vars(args)}
    path = args.json or f"var/bench/replenish_{Path(args.sales).stem}.json"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(out, f, indent=1, default=float)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
