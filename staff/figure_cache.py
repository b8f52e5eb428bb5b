"""Whole-catalogue figures, kept until what they are computed from changes.

The dashboard's figures are aggregates over every pair: a window of every pair's sales and the
weekly in-stock share (hundreds of thousands to millions of sales rows), stock value, pairs at
risk and overstock (every stock level, open order line, cost and lead time). Sales change only
when an import commits, stock when a movement, an order or a product's cost does: each figure
is computed once per change of what it reads, instead of once per request. What they read is
named by inventory.selectors' sales_fingerprint and inventory.revisions' stock_revision.

The cache is the project's (Redis in production, shared by every web process). The time limit
bounds what a change neither can see (a row deleted by hand in the database) can leave on screen.
"""
from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache

from inventory.revisions import stock_revision
from inventory.selectors import sales_fingerprint

SECONDS = 600
_MISSING = object()


def _key(name: str, stock: bool) -> str:
    return f"stockcast:ui:{name}:{sales_fingerprint()}" + (f":stock-{stock_revision()}" if stock else "")


def _cached(key: str, compute: Callable[[], object]):
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, SECONDS)
    return value


def until_sales_change(name: str, compute: Callable[[], object]):
    """compute(), or what it returned for the same sales."""
    return _cached(_key(name, stock=False), compute)


def until_stock_or_sales_change(name: str, compute: Callable[[], object]):
    """compute(), or what it returned for the same sales and the same stock revision."""
    return _cached(_key(name, stock=True), compute)


def if_cached(name: str, *, stock: bool = False):
    """What the cache holds for ``name`` now, or None (never computes)."""
    return cache.get(_key(name, stock))
