"""Celery entry points of the staff pages: warming what the pages read after sales change."""
from __future__ import annotations

import logging

from celery import shared_task

from . import warm

log = logging.getLogger(__name__)


@shared_task(name="staff.tasks.warm_sales_figures")
def warm_sales_figures() -> dict:
    """Idempotent: computes each figure for the current sales (a no-op for one already cached)."""
    return warm.sales_figures()


def queue_warm_after_import(sender, summary=None, **kwargs):
    """sales_imported receiver: warm in a worker (in process where tasks run eagerly)."""
    try:
        warm_sales_figures.delay()
    except Exception:  # a broker outage must not turn a committed import into an error
        log.exception("could not queue the warming of the pages' figures; the first page view computes them")
