"""Start long work (forecast runs, replenishment) without making the request wait for it.

With a broker (production) a task goes to the workers as usual. In the embedded default
Celery runs tasks eagerly, i.e. inside the caller: a forecast run would hold the request for
minutes. There the task runs in a daemon thread of the web process instead, and the pages
show its progress by polling like they do with workers. Set STOCKCAST_UI_INLINE_TASKS=True
(tests do) to run eager tasks in the request itself, deterministically.
"""
from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection
from kombu.exceptions import OperationalError as BrokerError

log = logging.getLogger(__name__)


def _eager(task) -> bool:
    return bool(getattr(task.app.conf, "task_always_eager", False))


class QueueUnavailable(RuntimeError):
    """The broker cannot be reached: nothing was queued."""


def start(task, **kwargs):
    """Queue `task` with kwargs; returns the AsyncResult, or the Thread running it in-process."""
    if not _eager(task) or getattr(settings, "STOCKCAST_UI_INLINE_TASKS", False):
        try:
            return task.delay(**kwargs)
        except BrokerError as error:
            raise QueueUnavailable(f"the task queue cannot be reached ({error}); nothing was started") from error

    def run():
        close_old_connections()
        try:
            task.apply(kwargs=kwargs, throw=True)
        except Exception:  # the task records its own failure (e.g. a failed run); log the rest
            log.exception("background task %s failed", task.name)
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=f"ui-{task.name}", daemon=True)
    thread.start()
    return thread
