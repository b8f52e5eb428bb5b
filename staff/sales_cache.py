"""Figures computed from sales history, kept until the sales change.

The dashboard's whole-catalogue figures (a window of every pair's sales, the weekly in-stock
share) are aggregates over hundreds of thousands to millions of sales rows; sales change only
when an import commits, so each is computed once per change of inventory.selectors'
sales_fingerprint instead of once per request. The cache is the project's (Redis in production,
shared by every web process). The time limit bounds what a change the fingerprint cannot see
(a row deleted by hand in the database) can leave on screen.
"""
from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache

from inventory.selectors import sales_fingerprint

SECONDS = 600
_MISSING = object()


def _key(name: str) -> str:
    return f"stockcast:ui:{name}:{sales_fingerprint()}"


def until_sales_change(name: str, compute: Callable[[], object]):
    """compute(), or what it returned for the same sales."""
    key = _key(name)
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, SECONDS)
    return value


def if_cached(name: str):
    """What until_sales_change(name, ...) holds for the current sales, or None (never computes)."""
    return cache.get(_key(name))
