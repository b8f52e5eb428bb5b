"""Demand anomaly: a day's sales outside the forecast's p01-p99 band, or a robust z-score spike or
drop against recent history; days explained by a known promotion or event (or an empty shelf for
a drop) are reported as explained and never fire."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from .base import Assessment, RuleInputError, Severity

KIND = "demand_anomaly"


@dataclass
class AnomalyInput:
    product_id: int
    warehouse_id: int
    history: pd.DataFrame                 # date, units, [on_promotion], [in_stock]: history AND the days checked
    check_dates: list[date]               # the days to judge (usually the days imported since the last check)
    band: pd.DataFrame | None = None      # date, p01, p99 from the forecast made before those days
    promotion_dates: set = field(default_factory=set)  # planned promotions (inventory.Promotion)
    event_dates: set = field(default_factory=set)      # calendar events the business told us about


def _robust_stats(ref: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Median and robust scale of each row of ``ref`` (NaN: not in the reference; a row of NaN
    gives NaN). One row or many: the screen below and the rule take the same figures."""
    ref = np.atleast_2d(np.asarray(ref, float))
    empty = np.isnan(ref).all(axis=1)
    filled = np.where(empty[:, None], 0.0, ref)  # nanmedian warns on an empty row; it is NaN below anyway
    med = np.nanmedian(filled, axis=1)
    mad = np.nanmedian(np.abs(filled - med[:, None]), axis=1)
    # MAD is 0 for intermittent or very flat series; a Poisson-like floor (sqrt of the level)
    # keeps a single extra unit from counting as a huge spike.
    scale = np.maximum(1.4826 * mad, np.sqrt(np.maximum(med, 1.0)))
    return np.where(empty, np.nan, med), np.where(empty, np.nan, scale)


def _outside_band(y, lo, hi, min_abs_deviation: float):
    # Outside the band, and by a few units: for slow sellers p99 can be 2, and a sale of 3 is not
    # worth a person's attention.
    return ((y < lo) | (y > hi)) & (np.abs(y - (lo + hi) / 2) >= min_abs_deviation)


def _beyond_z(y, med, scale, z_threshold, min_abs_deviation: float):
    return (np.abs((y - med) / scale) >= z_threshold) & (np.abs(y - med) >= min_abs_deviation)


def screen_anomalies(units: np.ndarray, reference: np.ndarray, band_lo: np.ndarray, band_hi: np.ndarray,
                     z_threshold: np.ndarray, *, min_reference_days: int = 14,
                     min_abs_deviation: float = 3.0) -> np.ndarray:
    """Which of many series have an outlier on a checked day, by the tests of assess_anomaly, on
    arrays: ``units`` [series, checked days] (NaN: the series had not started), ``reference``
    [series, days] (the reference days' units, NaN where a day is not in the reference: before the
    series started, a promotion, an event), ``band_lo``/``band_hi`` [series, checked days] (NaN:
    no forecast band that day), ``z_threshold`` [series]. A series it leaves out has no outlier,
    so assess_anomaly could only say "no anomaly" or "too little history" of it: a check need
    not ask it, unless an alert of the series is open (the rule's verdict would close it)."""
    med, scale = _robust_stats(reference)
    has_band = ~np.isnan(band_lo) & ~np.isnan(band_hi)
    judged = ~np.isnan(units)
    with np.errstate(invalid="ignore"):
        banded = _outside_band(units, band_lo, band_hi, min_abs_deviation)
        z = _beyond_z(units, med[:, None], scale[:, None], np.asarray(z_threshold, float)[:, None], min_abs_deviation)
    # The rule's z test needs a reference; with no band on any day it needs min_reference_days of it.
    enough = (~np.isnan(reference)).sum(axis=1) >= min_reference_days
    z &= (np.isfinite(med) & (enough | has_band.any(axis=1)))[:, None]
    return (judged & np.where(has_band, banded, z)).any(axis=1)


def _shelf_empty(by_date: pd.DataFrame, d) -> bool:
    if "in_stock" not in by_date.columns:
        return False
    v = by_date.loc[d, "in_stock"]
    return v is not None and not pd.isna(v) and not bool(v)


def assess_anomaly(x: AnomalyInput, *, z_threshold: float = 4.0, reference_days: int = 56,
                   min_reference_days: int = 14, min_abs_deviation: float = 3.0) -> Assessment:
    h = x.history
    for col in ("date", "units"):
        if col not in h.columns:
            raise RuleInputError(f"history is missing column '{col}'")
    h = h.copy()
    h["date"] = pd.to_datetime(h["date"]).dt.date
    h = h.sort_values("date")
    promo = h["on_promotion"].fillna(False).astype(bool) if "on_promotion" in h else pd.Series(False, index=h.index)
    known_promo = set(x.promotion_dates) | set(h.loc[promo.to_numpy(), "date"])
    checks = sorted(set(x.check_dates))
    if not checks:
        raise RuleInputError("check_dates is empty: nothing to judge")
    first = checks[0]
    ref = h[(h["date"] < first) & ~h["date"].isin(known_promo) & ~h["date"].isin(x.event_dates)].tail(reference_days)
    band = None
    if x.band is not None and len(x.band):
        band = x.band.assign(date=pd.to_datetime(x.band["date"]).dt.date).set_index("date")
    if len(ref) < min_reference_days and band is None:
        return Assessment(KIND, x.product_id, x.warehouse_id, None, message="Too little history to judge anomalies.",
                          evidence={"reference_days": int(len(ref)), "needed": min_reference_days})
    med, scale = (float(v[0]) for v in _robust_stats(ref["units"].to_numpy(float))) if len(ref) else (np.nan, np.nan)
    by_date = h.set_index("date")
    unexplained, explained = [], []
    for d in checks:
        if d not in by_date.index:
            continue
        y = float(by_date.loc[d, "units"])
        row = {"date": d.isoformat(), "units": y}
        outlier = False
        if band is not None and d in band.index:
            lo, hi = float(band.loc[d, "p01"]), float(band.loc[d, "p99"])
            row.update(test="forecast band", p01=lo, p99=hi)
            outlier = bool(_outside_band(y, lo, hi, min_abs_deviation))
            direction = "spike" if y > hi else "drop"
        elif np.isfinite(med):
            z = (y - med) / scale
            row.update(test="robust z", median=med, z=round(float(z), 2))
            outlier = bool(_beyond_z(y, med, scale, z_threshold, min_abs_deviation))
            direction = "spike" if z > 0 else "drop"
        if not outlier:
            continue
        row["direction"] = direction
        reason = None
        if d in known_promo:
            reason = "promotion"
        elif d in x.event_dates:
            reason = "event"
        elif direction == "drop" and _shelf_empty(by_date, d):
            reason = "out of stock"  # an empty shelf explains a drop in sales, not a drop in demand
        if reason:
            explained.append({**row, "explained_by": reason})
        else:
            unexplained.append(row)
    evidence = {"anomalies": unexplained, "explained": explained, "z_threshold": z_threshold,
                "reference_median": None if not np.isfinite(med) else med,
                "reference_scale": None if not np.isfinite(scale) else round(float(scale), 3)}
    if not unexplained:
        return Assessment(KIND, x.product_id, x.warehouse_id, False, message="No unexplained demand anomaly.",
                          evidence=evidence)
    worst = unexplained[-1]
    kinds = sorted({r["direction"] for r in unexplained})
    message = (f"Unexplained demand {'/'.join(kinds)} on {len(unexplained)} day(s), latest {worst['date']}: "
               f"{worst['units']:g} units ({worst['test']}); no promotion or event was known for it.")
    severity = Severity.CRITICAL if len(unexplained) >= 3 else Severity.WARNING
    return Assessment(KIND, x.product_id, x.warehouse_id, True, severity, message, evidence)
