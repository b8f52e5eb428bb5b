"""Promotion uplift: episodes, their measured uplift, and a pooled Poisson model of it.

Pure numpy/pandas/scipy (no Django), so that the benchmark and the planner share one model.

An *episode* is a maximal run of consecutive promotion days of one series. Its counterfactual
("without the promotion") is the series' mean daily units over the non-promotion days of the
``window`` days before it; its measured uplift is actual promotion units over that baseline
times the episode length. The model predicts the log-multiplier from

    log E[units] = log(baseline * length) + alpha + u_series + u_group + x . beta

with ``u`` ridge-penalised (shrunk towards the pooled mean: a series with few promotions gets
mostly the pooled uplift) and ``x`` = episode length, days since the series' last promotion,
share of the group's series on promotion at the same time (cannibalisation / brand-wide
promotions) and the baseline level (low sellers have larger relative uplifts).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import minimize

FEATURES = ("log_length", "one_day", "log_gap", "group_share", "log_base")


class UpliftDataError(ValueError):
    """Bad input to the uplift model; the message names the field or parameter."""


def read_pasta_promo(path: str | os.PathLike | None = None):
    """``(y[N,T], promo[N,T], dates[T], ids[N], groups[N])`` from the wide pasta_promo CSV.

    Rows are the store's open days as published (closed days have no row): the model works in
    open days, so a closed Sunday is not mistaken for a day with zero demand.
    """
    root = Path(path) if path else Path(
        os.environ.get("STOCKCAST_DATA_DIR") or Path(__file__).resolve().parents[3] / "shared" / "data"
    ) / "pasta_promo"
    f = root / "hierarchical_sales_data.csv" if root.is_dir() else root
    if not f.exists():
        raise UpliftDataError(f"pasta_promo file not found at {f} (set STOCKCAST_DATA_DIR)")
    raw = pd.read_csv(f, parse_dates=["DATE"]).sort_values("DATE").reset_index(drop=True)
    ids = [c[4:] for c in raw.columns if c.startswith("QTY_")]
    y = raw[[f"QTY_{s}" for s in ids]].to_numpy(np.float64).T
    promo = raw[[f"PROMO_{s}" for s in ids]].fillna(0).to_numpy(np.float64).T
    # Before a SKU's first sale it was not listed: not observed rather than zero demand.
    started = np.cumsum(np.nan_to_num(y), axis=1) > 0
    y = np.where(started, np.nan_to_num(y), np.nan)
    groups = np.array([s.split("_")[0] for s in ids], dtype=object)
    return y, promo, pd.DatetimeIndex(raw["DATE"]), np.array(ids, dtype=object), groups


def find_episodes(y: np.ndarray, promo: np.ndarray, dates, ids, groups, *, window: int = 28,
                  min_base_days: int = 7) -> pd.DataFrame:
    """One row per promotion episode with a measurable baseline.

    Columns: series, group, start (index), length, start_date, units, base_rate, n_base_days,
    gap (days since the series' previous episode ended), group_share, measured (= uplift
    multiplier actually observed).
    """
    y = np.asarray(y, float)
    promo = np.asarray(promo, float) > 0.5
    if y.shape != promo.shape:
        raise UpliftDataError(f"y {y.shape} and promo {promo.shape} must have the same shape")
    groups = np.asarray(groups, dtype=object)
    n, t = y.shape
    # Share of each group's *other* observed series on promotion per day.
    share = np.zeros_like(y)
    for g in np.unique(groups):
        rows = groups == g
        on = (promo[rows] & ~np.isnan(y[rows])).sum(0)
        live = (~np.isnan(y[rows])).sum(0)
        share[rows] = (on[None, :] - promo[rows]) / np.maximum(live[None, :] - 1, 1)
    out = []
    for i in range(n):
        edges = np.diff(np.r_[0, promo[i].astype(int), 0])
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        prev_end = None
        for s, e in zip(starts, ends):
            gap = 365 if prev_end is None else s - prev_end
            prev_end = e
            lo = max(0, s - window)
            hist, hist_promo = y[i, lo:s], promo[i, lo:s]
            base_days = hist[~hist_promo & ~np.isnan(hist)]
            seg = y[i, s:e]
            if len(base_days) < min_base_days or np.isnan(seg).any():
                continue
            base = float(base_days.mean())
            units = float(seg.sum())
            out.append((ids[i], groups[i], s, e - s, dates[s], units, base, len(base_days), min(gap, 365),
                        float(share[i, s:e].mean()), units / (base * (e - s)) if base > 0 else np.nan))
    cols = ["series", "group", "start", "length", "start_date", "units", "base_rate", "n_base_days", "gap",
            "group_share", "measured"]
    return pd.DataFrame(out, columns=cols)


def design(ep: pd.DataFrame) -> np.ndarray:
    """Feature matrix (unscaled) in the order of :data:`FEATURES`."""
    missing = [c for c in ("length", "gap", "group_share", "base_rate") if c not in ep.columns]
    if missing:
        raise UpliftDataError(f"episode frame is missing column(s) {missing}")
    return np.column_stack([
        np.log(ep["length"].to_numpy(float)),
        (ep["length"].to_numpy(float) <= 1).astype(float),  # single flagged days behave unlike real runs
        np.log1p(np.clip(ep["gap"].to_numpy(float), 0, 365)),
        ep["group_share"].to_numpy(float),
        np.log(ep["base_rate"].to_numpy(float) + 0.1),
    ])


@dataclass
class UpliftModel:
    """Pooled Poisson model of promotion uplift with shrunk series and group effects."""

    l2_series: float = 10.0
    l2_group: float = 10.0
    alpha: float = 0.0
    beta: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    x_mean: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    x_std: np.ndarray = field(default_factory=lambda: np.ones(len(FEATURES)))
    series_effect: dict = field(default_factory=dict)
    group_effect: dict = field(default_factory=dict)
    x_lo: np.ndarray | None = None  # range of the training features: predictions
    x_hi: np.ndarray | None = None  # clip to them instead of extrapolating a log-linear model
    max_log_multiplier: float = 3.0  # largest log-uplift predicted on the training episodes
    residual_sd: float = 0.5       # episode-level log-scale noise, for predictive intervals
    series_effect_sd: float = 0.3  # spread of series effects (the prior for a new product)
    n_episodes: int = 0

    def fit(self, ep: pd.DataFrame) -> "UpliftModel":
        ep = ep[ep["base_rate"] > 0]
        if len(ep) < 10:
            raise UpliftDataError(f"need at least 10 episodes with a positive baseline, got {len(ep)}")
        x = design(ep)
        self.x_mean, self.x_std = x.mean(0), x.std(0) + 1e-9
        self.x_lo, self.x_hi = x.min(0), x.max(0)
        z = (x - self.x_mean) / self.x_std
        s_codes, s_names = pd.factorize(ep["series"])
        g_codes, g_names = pd.factorize(ep["group"])
        offset = np.log(ep["base_rate"].to_numpy(float) * ep["length"].to_numpy(float))
        units = ep["units"].to_numpy(float)
        k, ns, ng = z.shape[1], len(s_names), len(g_names)

        def unpack(w):
            return w[0], w[1:1 + k], w[1 + k:1 + k + ns], w[1 + k + ns:]

        def loss(w):
            a, b, us, ug = unpack(w)
            eta = np.clip(offset + a + z @ b + us[s_codes] + ug[g_codes], -30, 30)
            mu = np.exp(eta)
            r = mu - units
            f = r.sum() - units @ (eta - offset) + 0.5 * self.l2_series * us @ us + 0.5 * self.l2_group * ug @ ug
            grad = np.concatenate([[r.sum()], z.T @ r, np.bincount(s_codes, r, ns) + self.l2_series * us,
                                   np.bincount(g_codes, r, ng) + self.l2_group * ug])
            return f / len(units), grad / len(units)

        w0 = np.zeros(1 + k + ns + ng)
        w0[0] = np.log(max(units.sum(), 1e-9) / np.exp(offset).sum())
        res = minimize(loss, w0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
        a, b, us, ug = unpack(res.x)
        self.alpha, self.beta = float(a), b
        self.series_effect = dict(zip(map(str, s_names), map(float, us)))
        self.group_effect = dict(zip(map(str, g_names), map(float, ug)))
        self.n_episodes = len(ep)
        self.max_log_multiplier = float(np.max(self.log_multiplier(ep)))
        pred = self.predict_units(ep)
        self.residual_sd = float(np.std(np.log((units + 1) / (pred + 1))))
        self.series_effect_sd = float(np.std(us)) if ns > 1 else 0.3
        return self

    def log_multiplier(self, ep: pd.DataFrame, *, series_effect: np.ndarray | None = None) -> np.ndarray:
        """Predicted log uplift multiplier per episode row (unknown series/groups get 0 effect)."""
        x = design(ep)
        if self.x_lo is not None:
            x = np.clip(x, self.x_lo, self.x_hi)
        z = (x - self.x_mean) / self.x_std
        us = series_effect if series_effect is not None else \
            ep["series"].astype(str).map(self.series_effect).fillna(0.0).to_numpy(float)
        ug = ep["group"].astype(str).map(self.group_effect).fillna(0.0).to_numpy(float) if "group" in ep else 0.0
        return self.alpha + z @ self.beta + us + ug

    def predict_units(self, ep: pd.DataFrame) -> np.ndarray:
        return ep["base_rate"].to_numpy(float) * ep["length"].to_numpy(float) * np.exp(self.log_multiplier(ep))

    def to_dict(self) -> dict:
        return {
            "alpha": self.alpha, "beta": dict(zip(FEATURES, map(float, self.beta))),
            "x_mean": dict(zip(FEATURES, map(float, self.x_mean))), "x_std": dict(zip(FEATURES, map(float, self.x_std))),
            "l2_series": self.l2_series, "l2_group": self.l2_group, "residual_sd": self.residual_sd,
            "series_effect_sd": self.series_effect_sd, "n_episodes": self.n_episodes,
            "x_lo": dict(zip(FEATURES, map(float, self.x_lo))), "x_hi": dict(zip(FEATURES, map(float, self.x_hi))),
            "max_log_multiplier": self.max_log_multiplier,
            "group_effect": self.group_effect,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "UpliftModel":
        m = cls(l2_series=d["l2_series"], l2_group=d["l2_group"], alpha=d["alpha"],
                beta=np.array([d["beta"][f] for f in FEATURES]), x_mean=np.array([d["x_mean"][f] for f in FEATURES]),
                x_std=np.array([d["x_std"][f] for f in FEATURES]), residual_sd=d["residual_sd"],
                series_effect_sd=d["series_effect_sd"], n_episodes=d["n_episodes"],
                x_lo=np.array([d["x_lo"][f] for f in FEATURES]), x_hi=np.array([d["x_hi"][f] for f in FEATURES]),
                max_log_multiplier=d["max_log_multiplier"])
        m.group_effect = {}  # pasta brands mean nothing to another catalogue: new groups start at the pool
        return m


def product_mean_uplift(history: pd.DataFrame, target: pd.DataFrame) -> np.ndarray:
    """The simple baseline: average measured uplift of the same series' earlier episodes.

    Falls back to the group's average, then to the overall average, then to 1 (no uplift).
    Only episodes that *ended* before the target episode starts are used.
    """
    h = history.dropna(subset=["measured"])
    out = np.ones(len(target))
    end = (h["start"] + h["length"]).to_numpy()
    for j, row in enumerate(target.itertuples(index=False)):
        past = h[end <= row.start]
        same = past[past["series"] == row.series]
        pool = same if len(same) else past[past["group"] == row.group]
        pool = pool if len(pool) else past
        out[j] = float(pool["measured"].mean()) if len(pool) else 1.0
    return out
