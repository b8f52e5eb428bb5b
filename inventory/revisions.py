"""A revision number of the stock side of the catalogue, for caches of figures computed from it.

The staff pages' whole-catalogue figures (stock value, pairs at risk, overstock, the value
trend) read every stock level, open order line, product cost and supplier lead time: at 30,000
pairs that is a tenth of a second of SQL and Python per request. They are cached until the
revision of what they read moves (staff.figure_cache), as sales figures are until the sales
change (selectors.sales_fingerprint).

The revision moves after the transaction that changed the rows commits (on_commit): a reader
that sees the new revision sees the new rows too, and one that computed from the old rows
stored its answer under the old revision, which nobody asks for again. Saves and deletes of the
watched models move it by themselves (signals); code that writes them in bulk (bulk_create,
queryset.update) calls note_stock_changed. A change neither sees (a row edited by hand in the
database) stays on screen until the cache's time limit.
"""
from __future__ import annotations

from django.apps import apps
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

STOCK_REVISION_KEY = "stockcast:stock-revision"
# What the stock figures read: levels and the ledger, orders (stock on order), products (unit
# cost, active) and suppliers (lead times).
WATCHED = ("inventory.StockLevel", "inventory.StockMovement", "inventory.PurchaseOrder",
           "inventory.PurchaseOrderLine", "inventory.Product", "inventory.Supplier")


def stock_revision() -> int:
    return int(cache.get(STOCK_REVISION_KEY, 0))


def note_stock_changed() -> None:
    """Move the revision once the current transaction commits (at once outside one)."""
    transaction.on_commit(_bump)


def _bump() -> None:
    cache.add(STOCK_REVISION_KEY, 0, timeout=None)
    cache.incr(STOCK_REVISION_KEY)


def _changed(sender, **kwargs) -> None:
    if not kwargs.get("raw"):  # loading fixtures writes no live state worth a bump
        note_stock_changed()


def watch() -> None:
    """Connect the signals (InventoryConfig.ready)."""
    for label in WATCHED:
        model = apps.get_model(label)
        post_save.connect(_changed, sender=model, dispatch_uid=f"stockcast-revision-save-{label}")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"stockcast-revision-delete-{label}")
