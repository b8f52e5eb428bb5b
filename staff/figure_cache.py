"""Whole-catalogue figures, kept until what they are computed from changes.

The dashboard's figures are aggregates over every pair: a window of every pair's sales and the
weekly in-stock share (hundreds of thousands to millions of sales rows), stock value, pairs at
risk and overstock (every stock level, open order line, cost and lead time). Sales change only
when an import commits, stock when a movement, an order or a product's cost does: each figure
is computed once per change of what it reads, instead of once per request. What a figure reads
is named by fingerprints: inventory.selectors' sales_fingerprint, and the revisions of the stock
(inventory.revisions), of the suggestions (replenishment.revisions) and of the alerts
(insights.revisions).

The cache is the project's (Redis in production, shared by every web process). The time limit
bounds what a change neither can see (a row deleted by hand in the database) can leave on screen.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from django.core.cache import cache

from insights.revisions import ALERTS
from inventory.revisions import STOCK
from inventory.selectors import sales_fingerprint
from replenishment.revisions import SUGGESTIONS

SECONDS = 600
SALES = (sales_fingerprint,)
SALES_AND_STOCK = (sales_fingerprint, STOCK.fingerprint)
STOCK_ONLY = (STOCK.fingerprint,)
PENDING = (SUGGESTIONS.fingerprint,)
OPEN_ALERTS = (ALERTS.fingerprint,)
DUE = (sales_fingerprint, SUGGESTIONS.fingerprint)  # due by the decision day, the last sales day
_MISSING = object()


def _key(name: str, on: Sequence[Callable[[], str]]) -> str:
    return f"stockcast:ui:{name}:" + ":".join(fingerprint() for fingerprint in on)


def until_changed(name: str, compute: Callable[[], object], on: Sequence[Callable[[], str]]):
    """compute(), or what it returned while every fingerprint in ``on`` gave what it gives now."""
    key = _key(name, on)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, SECONDS)
    return value


def until_sales_change(name: str, compute: Callable[[], object]):
    """compute(), or what it returned for the same sales."""
    return until_changed(name, compute, SALES)


def if_cached(name: str, on: Sequence[Callable[[], str]] | None = None):
    """What the cache holds for ``name`` now (by default: for the current sales), or None."""
    return cache.get(_key(name, SALES if on is None else on))
