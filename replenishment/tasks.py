"""Celery entry points of replenishment (thin: the work is in services.py and learned.py)."""
from __future__ import annotations

from datetime import date

import logging

from celery import shared_task

from . import learned, replays, services

log = logging.getLogger(__name__)


@shared_task(name="replenishment.tasks.run_replenishment")
def run_replenishment(forecast_run_id: int | None = None, as_of: str | None = None,
                      budgets: dict | None = None) -> int:
    """Run after every forecast run (``forecast_run_id`` is informational: the current run's
    forecasts are used when there are any, else the sales history). Returns the number of
    suggestions written."""
    day = date.fromisoformat(as_of) if as_of else None
    return len(services.run_replenishment(as_of=day, budgets=budgets))


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
