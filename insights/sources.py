"""Where the stock rules get demand quantiles from: pluggable, so alerts work before a model exists.

A source answers ``daily_quantiles(pairs, start, horizon)`` with, per (product_id, warehouse_id),
``QuantileRows(values [H, Q], levels, name)``; and ``band(pairs, dates)`` with the forecast's
p01/p99 for past days (None when it has none). This module has the sources that need no model;
insights.forecast_link has the one that reads stored forecasts, and ``default_source`` (both,
layered), which ``INSIGHTS_QUANTILE_SOURCE`` (dotted path to a class) replaces.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from inventory.selectors import sales_rows

from .rules.base import DEFAULT_LEVELS


@dataclass
class QuantileRows:
    values: np.ndarray
    levels: tuple
    name: str


class HistoryQuantileSource:
    """Empirical daily quantiles of the last ``window`` days of sales (promotion days excluded).

    Honest fallback, not a forecast: no trend, season or promotion plan. Evidence says so.
    """

    name = "history"

    def __init__(self, window: int = 56, min_days: int = 7):
        self.window, self.min_days = window, min_days

    def daily_quantiles(self, pairs, start: date, horizon: int) -> dict:
        if not pairs:
            return {}
        rows = sales_rows(start - timedelta(days=self.window), start - timedelta(days=1), pairs=pairs,
                          on_promotion=False)
        out = {}
        if rows.empty:
            return out
        for (p, w), g in rows.groupby(["product_id", "warehouse_id"]):
            if (p, w) not in pairs:
                continue
            # Days without a row are days without sales.
            days = (start - max(g["date"].min(), start - timedelta(days=self.window))).days
            units = np.concatenate([g["units"].to_numpy(float), np.zeros(max(days - len(g), 0))])
            if len(units) < self.min_days:
                continue
            q = np.quantile(units, DEFAULT_LEVELS)
            out[(p, w)] = QuantileRows(np.tile(q, (horizon, 1)), DEFAULT_LEVELS, self.name)
        return out

    def band(self, pairs, dates) -> dict:
        return {}


class LayeredSource:
    """The first source that has an answer for a pair wins (forecast, then history)."""

    def __init__(self, *sources):
        self.sources = sources

    def daily_quantiles(self, pairs, start, horizon) -> dict:
        out, left = {}, set(pairs)
        for s in self.sources:
            if not left:
                break
            got = s.daily_quantiles(left, start, horizon)
            out.update(got)
            left -= set(got)
        return out

    def band(self, pairs, dates) -> dict:
        for s in self.sources:
            got = s.band(pairs, dates)
            if got:
                return got
        return {}
