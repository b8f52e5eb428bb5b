"""Celery entry points of replenishment (thin: the work is in services.py and learned.py)."""
from __future__ import annotations

from datetime import date

from celery import shared_task

from . import learned, services


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
