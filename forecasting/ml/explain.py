"""Why a forecast is what it is: counterfactual re-prediction with covariates switched.

For every series and day the global model's mean forecast is split into

* ``level``     - the forecast with no promotion, the reference price (the window's mean
                  price), no events or SNAP days, and the weekday and time of year averaged
                  out (mean over the 7 weekdays and 4 quarter-year phases);
* ``calendar``  - what weekday, season, events and SNAP add on top of the level;
* ``price``     - what the planned price (relative to the reference) adds;
* ``promotion`` - what the planned promotion adds.

The parts are taken in that order (each one the change from switching its covariate
back on), so they add up exactly to the forecast.  Effects are the model's, not causal
estimates: a model that has never seen a promotion for an item will show little uplift.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .features import IDX

COMPONENTS = ("level", "calendar", "price", "promotion")


def _no_promo(c):
    c[..., IDX["promo"]] = 0.0


def _ref_price(c):
    _no_promo(c)
    c[..., IDX["log_rel_price"]] = 0.0


def _neutral(dow: int | None, phase: float):
    def f(c):
        _ref_price(c)
        c[..., IDX["event"]] = 0.0
        c[..., IDX["snap"]] = 0.0
        if dow is not None:
            c[..., :7] = 0.0
            c[..., dow] = 1.0
        c[..., IDX["doy_sin"]] = np.sin(phase)
        c[..., IDX["doy_cos"]] = np.cos(phase)
    return f


def explain(model, panel, origin: int | None = None) -> pd.DataFrame:
    """Long frame ``unique_id, ds, mean, level, calendar, price, promotion`` for the model's horizon."""
    full = model.predict(panel, origin)
    no_promo = model.predict(panel, origin, transform=_no_promo).mean
    ref_price = model.predict(panel, origin, transform=_ref_price).mean
    dows = range(7) if panel.freq == "D" else [None]
    phases = [0.0, np.pi / 2, np.pi, 3 * np.pi / 2]
    base = np.mean([model.predict(panel, origin, transform=_neutral(d, ph)).mean for d in dows for ph in phases], axis=0)
    parts = {
        "level": base,
        "calendar": ref_price - base,
        "price": no_promo - ref_price,
        "promotion": full.mean - no_promo,
    }
    out = full.to_frame()[["unique_id", "ds", "mean"]]
    for k in COMPONENTS:
        out[k] = parts[k].reshape(-1)
    return out


def explanation_json(frame: pd.DataFrame) -> list[dict]:
    """Per row, the parts as a small dict (what the Django side stores next to a forecast)."""
    cols = list(COMPONENTS)
    vals = frame[cols].to_numpy(np.float64).round(4)
    return [dict(zip(cols, map(float, r))) for r in vals]
