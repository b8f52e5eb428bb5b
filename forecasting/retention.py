"""How long forecast rows are kept. Every run writes series x horizon rows (30,490 x 28 = 854 k
for M5's size, every night); without pruning the table grows by that much a day.

Kept in full: the current run and the ``STOCKCAST_FORECAST_KEEP_RUNS`` newest other succeeded
runs (default 7: a week of nightly runs, to compare and to fall back on). Of an older succeeded
run only the rows that were in force are kept: the days after its data end up to the next run's
(``selectors.issued_run_for``), which is what drift checks and past forecast bands read; those
go too once older than ``STOCKCAST_FORECAST_HISTORY_DAYS`` (default 400). Failed runs keep no
rows already (``services.mark_failed``). The runs themselves, with their metrics and model
versions, are never deleted here.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from inventory_site import progress

from .models import Forecast
from .selectors import succeeded_runs


def prune(today=None) -> dict:
    """Delete the rows retention no longer keeps; returns the counts per kind of deletion."""
    runs = succeeded_runs()
    newest_first = sorted(runs, key=lambda r: (r["as_of"], r["id"]), reverse=True)
    keep = {r["id"] for r in newest_first if r["is_current"]}
    keep |= {r["id"] for r in [r for r in newest_first if not r["is_current"]][:settings.STOCKCAST_FORECAST_KEEP_RUNS]}
    trimmed = outside = 0
    with transaction.atomic():
        for i, run in enumerate(runs):
            if run["id"] in keep:
                continue
            # the days this run's forecast was in force: after its data end, up to the next run's
            in_force = Q(date__gt=run["as_of"])
            later = [r["as_of"] for r in runs[i + 1:] if r["as_of"] > run["as_of"]]
            if later:
                in_force &= Q(date__lte=later[0])
            trimmed += Forecast.objects.filter(run_id=run["id"]).exclude(in_force).delete()[0]
        if runs:
            newest = newest_first[0]["as_of"] if today is None else today
            cutoff = newest - timedelta(days=settings.STOCKCAST_FORECAST_HISTORY_DAYS)
            outside = Forecast.objects.filter(date__lt=cutoff).exclude(run_id__in=keep).delete()[0]
    if trimmed or outside:
        progress.report("forecast retention: %s rows of superseded runs pruned, %s rows older than %s days",
                        f"{trimmed:,}", f"{outside:,}", settings.STOCKCAST_FORECAST_HISTORY_DAYS)
    return {"trimmed": trimmed, "older_than_history": outside, "kept_in_full": sorted(keep)}
