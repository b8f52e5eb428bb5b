"""Celery entry points of replenishment (thin: the work is in services.py and learned.py)."""
from __future__ import annotations

from datetime import date

import logging

from celery import group, shared_task
from django.conf import settings
from django.utils import timezone

from inventory.models import Warehouse

from . import learned, replays, services

log = logging.getLogger(__name__)


@shared_task(name="replenishment.tasks.run_replenishment")
def run_replenishment(forecast_run_id: int | None = None, as_of: str | None = None,
                      budgets: dict | None = None, shards: int | None = None) -> int | dict:
    """Run after every forecast run (``forecast_run_id`` is informational: the current run's
    forecasts are used when there are any, else the sales history). Returns the number of
    suggestions written; split into ``shards`` (default settings.STOCKCAST_REPLENISH_SHARDS)
    warehouse groups, it queues one replenish_shard task per group for any worker and returns
    ``{"shards", "group_id"}`` instead (a task must not wait for tasks it queued)."""
    shards = settings.STOCKCAST_REPLENISH_SHARDS if shards is None else shards
    groups = services.warehouse_shards(shards) if shards > 1 else []
    if len(groups) < 2:
        day = date.fromisoformat(as_of) if as_of else None
        return len(services.run_replenishment(as_of=day, budgets=budgets))
    as_of = as_of or timezone.localdate().isoformat()  # one decision day for every shard
    result = group(replenish_shard.s(ids, as_of, budgets) for ids in groups).apply_async()
    return {"shards": len(groups), "group_id": result.id}


@shared_task(name="replenishment.tasks.replenish_shard")
def replenish_shard(warehouse_ids: list[int], as_of: str, budgets: dict | None = None) -> int:
    """One warehouse group of a sharded run: the suggestions of its pairs, as the whole run
    would write them. Idempotent (a redelivery supersedes its own first suggestions)."""
    warehouses = Warehouse.objects.filter(pk__in=warehouse_ids)
    return len(services.run_replenishment(as_of=date.fromisoformat(as_of), budgets=budgets, warehouses=warehouses))


@shared_task(name="replenishment.tasks.train_rl_policy")
def train_rl_policy(lead_times: list | None = None, seed: int = 1) -> str:
    """Train the global learned policy on a grid of demand profiles shaped like the
    catalogue's and save it where ``learned.rl_policy_path()`` reads it."""
    return str(learned.train_catalogue_policy(lead_times=lead_times, seed=seed))


@shared_task(name="replenishment.tasks.replay_policies")
def replay_policies(forecast_run_id: int | None = None, as_of: str | None = None, periods: int = 8,
                    freq: str = "W") -> int:
    """Replay the recent history with every method and set each pair's method (after every
    successful forecast run, before the suggestions are recomputed, and nightly by beat).
    Returns the replay run's id."""
    day = date.fromisoformat(as_of) if as_of else None
    try:
        return replays.replay_history(periods=periods, freq=freq, as_of=day).pk
    except Exception:
        # The suggestions that follow in the chain must still be recomputed with the new
        # forecast; the pairs keep their current methods and the failure is in the log.
        log.exception("policy replay failed (as of %s); methods unchanged", as_of)
        return None
