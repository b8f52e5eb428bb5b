"""Turning a panel into model inputs: windows of ``context`` past days and ``horizon``
future days, gathered for many (series, origin) pairs at once.

Only ``y[:, origin-context : origin]`` is read as demand; the future part carries known
covariates only (calendar, events, SNAP, planned promotion and price), so a forecast
cannot see future demand by construction.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

# step features, in this order (the saved model records the list)
STEP_FEATURES = ("dow_0", "dow_1", "dow_2", "dow_3", "dow_4", "dow_5", "dow_6",
                 "doy_sin", "doy_cos", "event", "snap", "promo", "log_rel_price", "price_missing")
STATIC_FEATURES = ("log_ref_price", "ref_price_missing", "log_scale", "cold_start")
F_STEP = len(STEP_FEATURES)
IDX = {n: i for i, n in enumerate(STEP_FEATURES)}


def calendar_features(dates: pd.DatetimeIndex) -> np.ndarray:
    """``[T, 9]``: weekday one-hot and day-of-year sine/cosine."""
    dow = dates.dayofweek.to_numpy()
    out = np.zeros((len(dates), 9), np.float32)
    out[np.arange(len(dates)), dow] = 1.0
    doy = 2 * np.pi * dates.dayofyear.to_numpy() / 365.25
    out[:, 7] = np.sin(doy)
    out[:, 8] = np.cos(doy)
    return out


@dataclass
class Windows:
    """A batch of windows as numpy arrays (the trainer moves them to torch)."""

    ctx: np.ndarray        # [B, L] demand / scale, 0 where unobserved
    ctx_mask: np.ndarray   # [B, L] 1 = observed
    ctx_cov: np.ndarray    # [B, L, F] step features of the context days
    fut_cov: np.ndarray    # [B, H, F] step features of the forecast days
    static: np.ndarray     # [B, 4] STATIC_FEATURES
    series: np.ndarray     # [B] row in the panel
    scale: np.ndarray      # [B] the scale outputs are multiplied by
    target: np.ndarray | None = None  # [B, H] raw demand (NaN = not observed)
    season: np.ndarray | None = None  # [B, H] demand one season before each forecast day / scale
    season_mask: np.ndarray | None = None
    true_scale: np.ndarray | None = None  # [B] scale of the real context (loss normaliser)


class PanelWindows:
    """Padded copies of the panel arrays over grid days ``[lo, hi)`` so that windows near the
    edges gather NaN/0 instead of failing.  ``lo``/``hi`` keep memory small at prediction
    time: only the last ``context + horizon`` days of a 1,913-day panel are copied."""

    def __init__(self, panel, context: int, horizon: int, lo: int = 0, hi: int | None = None, season_lag: int = 0):
        hi = panel.n_days if hi is None else hi
        lo = max(0, lo)
        self.panel, self.L, self.H, self.lo, self.lag = panel, context, horizon, lo, season_lag
        pad_l, pad_r = max(context, season_lag), horizon
        self.pad = pad_l
        n = panel.n_series

        def padded(a, fill):
            part = a[:, lo:hi]
            return np.concatenate([np.full((n, pad_l), fill, np.float32), part.astype(np.float32),
                                   np.full((n, pad_r), fill, np.float32)], axis=1)

        self.y = padded(panel.y, np.nan)
        self.price = padded(panel.price, np.nan)
        self.promo = padded(panel.promo, 0.0)
        self.event = padded(panel.event, 0.0)
        self.snap = padded(panel.snap, 0.0)
        step = pd.Timedelta(days=7 if panel.freq == "W" else 1)
        d0 = panel.dates[lo] if lo < panel.n_days else panel.dates[-1] + step
        all_dates = pd.DatetimeIndex([d0 + step * (i - pad_l) for i in range(pad_l + (hi - lo) + pad_r)])
        self.cal = calendar_features(all_dates)

    def gather(self, series: np.ndarray, origin: np.ndarray, with_target: bool = False,
               cold: np.ndarray | None = None) -> Windows:
        """Windows for origins given as absolute grid indices (first forecast day)."""
        L, H = self.L, self.H
        o = origin - self.lo + self.pad  # position of the origin in padded arrays
        cols = o[:, None] + np.arange(-L, H)[None, :]
        rows = series[:, None]
        yy = self.y[rows, cols]
        ctx_raw = yy[:, :L]
        if cold is not None and cold.any():
            ctx_raw = ctx_raw.copy()
            ctx_raw[cold] = np.nan
        mask = ~np.isnan(ctx_raw)
        n_obs = mask.sum(1)
        with np.errstate(invalid="ignore"):
            mean = np.where(n_obs > 0, np.nansum(ctx_raw, 1) / np.maximum(n_obs, 1), 0.0)
        # scale = 1 + mean: well defined for all-zero and cold-start contexts, ~mean for big sellers
        scale = (1.0 + mean).astype(np.float32)
        ctx = np.nan_to_num(ctx_raw) / scale[:, None]

        price = self.price[rows, cols]
        with np.errstate(invalid="ignore"), _quiet():
            ref = np.nanmean(price, axis=1)
        ref_missing = np.isnan(ref)
        ref_f = np.where(ref_missing, 1.0, ref)
        with np.errstate(divide="ignore", invalid="ignore"):
            lrp = np.log(price / ref_f[:, None])
        price_missing = ~np.isfinite(lrp)
        lrp = np.where(price_missing, 0.0, np.clip(lrp, -2, 2))

        cov = np.empty((len(series), L + H, F_STEP), np.float32)
        cov[..., :9] = self.cal[cols]
        cov[..., IDX["event"]] = self.event[rows, cols]
        cov[..., IDX["snap"]] = self.snap[rows, cols]
        cov[..., IDX["promo"]] = self.promo[rows, cols]
        cov[..., IDX["log_rel_price"]] = lrp
        cov[..., IDX["price_missing"]] = price_missing
        is_cold = (n_obs == 0)
        static = np.stack([
            np.where(ref_missing, 0.0, np.log1p(ref_f)), ref_missing.astype(np.float32),
            np.log(scale), is_cold.astype(np.float32)], axis=1).astype(np.float32)
        w = Windows(ctx.astype(np.float32), mask.astype(np.float32), cov[:, :L], cov[:, L:], static,
                    series, scale)
        if self.lag:
            # the same days one season ago (364 days / 52 weeks): yearly pattern, holidays
            ly = self.y[rows, o[:, None] - self.lag + np.arange(H)[None, :]]
            if cold is not None and cold.any():
                ly = ly.copy()
                ly[cold] = np.nan
            w.season = (np.nan_to_num(ly) / scale[:, None]).astype(np.float32)
            w.season_mask = (~np.isnan(ly)).astype(np.float32)
        if with_target:
            w.target = yy[:, L:]
            full = self.y[rows, cols[:, :L]]
            nf = (~np.isnan(full)).sum(1)
            w.true_scale = (1.0 + np.where(nf > 0, np.nansum(full, 1) / np.maximum(nf, 1), 0.0)).astype(np.float32)
            # a cold window has no context: normalise its loss by the mean of its own target
            with _quiet():
                tgt_mean = np.nan_to_num(np.nanmean(w.target, 1))
            w.true_scale = np.where(nf > 0, w.true_scale, 1.0 + tgt_mean).astype(np.float32)
        return w


class _quiet:
    def __enter__(self):
        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *a):
        return self._w.__exit__(*a)
