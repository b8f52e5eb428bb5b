"""A sign of life for long work (imports, forecast runs), so that work whose worker died is failed
within minutes instead of staying "running" for ever.

A daemon thread stamps ``heartbeat_at`` on the job's row every ``interval`` seconds while the work
runs; it dies with its process, which is the point: a killed worker stops beating. On PostgreSQL
the stamp goes through the thread's own connection (autocommit, outside the work's transaction);
on SQLite, which allows one writer at a time, it goes to the cache only (the embedded default runs
work in-process, where the cache is the process's own).
"""
from __future__ import annotations

import threading
from datetime import datetime, timezone as dt_timezone

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

INTERVAL_S = 30.0
# Work whose last beat is older than this is taken for dead (a few missed beats, not one).
STALE_AFTER_S = 5 * 60.0


def cache_key(model, pk: int) -> str:
    return f"stockcast:heartbeat:{model._meta.label_lower}:{pk}"


def beat(model, pk: int) -> None:
    now = timezone.now()
    cache.set(cache_key(model, pk), now.timestamp(), 24 * 3600)
    if connection.vendor == "postgresql":
        model.objects.filter(pk=pk).update(heartbeat_at=now)


def last_sign_of_life(obj):
    """The latest of the row's heartbeat, its start, and the cached beat."""
    times = [t for t in (getattr(obj, "heartbeat_at", None), getattr(obj, "started_at", None)) if t is not None]
    cached = cache.get(cache_key(type(obj), obj.pk))
    if cached:
        times.append(datetime.fromtimestamp(cached, tz=dt_timezone.utc))
    return max(times) if times else None


class Heartbeat:
    """``with Heartbeat(ImportJob, job.pk): ...`` beats until the block ends."""

    def __init__(self, model, pk: int, interval: float = INTERVAL_S):
        self.model, self.pk, self.interval = model, pk, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"heartbeat-{model.__name__}-{pk}")

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                try:
                    beat(self.model, self.pk)
                except Exception:  # noqa: BLE001 - a missed beat is not worth killing the work for
                    pass
        finally:
            connection.close()  # the thread's own connection

    def __enter__(self):
        beat(self.model, self.pk)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        cache.delete(cache_key(self.model, self.pk))  # the work is over: its row's status says the rest
        return False
