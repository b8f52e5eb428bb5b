"""The base class of every stockcast task: a cap on how often one task is delivered.

Tasks acknowledge late (``task_acks_late``) and a worker that dies mid-task gives its task back
(``task_reject_on_worker_lost``), so a task is never lost to a crash. The same rule would hand a
task that *kills* its worker (one that runs out of memory) to the next worker, and the next, for
ever. Each delivery of a task attempt is counted in the shared cache (Redis in production); past
``CELERY_MAX_DELIVERIES`` the task is rejected without requeueing, and its work record (an import,
a forecast run) is failed by the stale-work sweep, which sees that nobody beats for it any more.
A retry (``self.retry``) is a new attempt and counts afresh.
"""
from __future__ import annotations

import logging

from celery import Task
from celery.exceptions import Reject
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

DELIVERY_COUNT_TTL_S = 2 * 24 * 3600


def delivery_key(task_id: str, retries: int) -> str:
    return f"stockcast:task-deliveries:{task_id}:{retries}"


class DeliveryCappedTask(Task):
    def __call__(self, *args, **kwargs):
        request = self.request
        if not request.is_eager and request.id and self.acks_late:
            key = delivery_key(request.id, request.retries or 0)
            cache.add(key, 0, DELIVERY_COUNT_TTL_S)
            deliveries = cache.incr(key)
            cap = settings.CELERY_MAX_DELIVERIES
            if deliveries > cap:
                log.error("task %s[%s] delivered %d times (cap %d): its workers died running it; not run again",
                          self.name, request.id, deliveries, cap)
                raise Reject(f"delivered {deliveries} times (CELERY_MAX_DELIVERIES={cap})", requeue=False)
        return super().__call__(*args, **kwargs)
