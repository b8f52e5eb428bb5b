"""A task whose workers keep dying is not delivered for ever (inventory_site/celery_tasks.py)."""
import pytest
from celery.exceptions import Reject
from django.core.cache import cache

from inventory_site.celery import app

calls = []


@app.task(name="tests.capped_probe", bind=True, acks_late=True)
def capped_probe(self):
    calls.append(self.request.id)
    return "ran"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    calls.clear()
    yield
    cache.clear()


def _deliver(task_id: str, retries: int = 0):
    """Run the task as a worker would for one delivery of ``task_id`` (not eager)."""
    capped_probe.push_request(id=task_id, retries=retries, is_eager=False)
    try:
        return capped_probe()
    finally:
        capped_probe.pop_request()


def test_deliveries_beyond_the_cap_are_rejected_without_requeue(settings):
    settings.CELERY_MAX_DELIVERIES = 3
    assert [_deliver("t-1") for _ in range(3)] == ["ran"] * 3  # the first delivery and two redeliveries
    with pytest.raises(Reject) as rejected:
        _deliver("t-1")
    assert rejected.value.requeue is False and "CELERY_MAX_DELIVERIES=3" in str(rejected.value.reason)
    assert len(calls) == 3


def test_a_retry_is_a_new_attempt_and_other_tasks_are_not_affected(settings):
    settings.CELERY_MAX_DELIVERIES = 1
    assert _deliver("t-2", retries=0) == "ran"
    assert _deliver("t-2", retries=1) == "ran"  # self.retry() sends the same id with retries + 1
    assert _deliver("t-3") == "ran"
    with pytest.raises(Reject):
        _deliver("t-2", retries=1)


def test_eager_calls_are_not_counted(settings):
    settings.CELERY_MAX_DELIVERIES = 1
    for _ in range(3):
        assert capped_probe.apply().get() == "ran"


def test_time_limits_and_visibility_timeout_are_set():
    assert app.conf.task_soft_time_limit and app.conf.task_time_limit > app.conf.task_soft_time_limit
    assert app.conf.broker_transport_options["visibility_timeout"] > app.conf.task_time_limit
