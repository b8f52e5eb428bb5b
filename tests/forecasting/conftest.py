"""Fixtures of the forecasting tests that run whole forecast runs in the test process."""
import pytest


@pytest.fixture
def eager_celery():
    """Tasks run inline here even when CELERY_BROKER_URL points at a real Redis (no worker in tests)."""
    from inventory_site.celery import app
    old = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = old


@pytest.fixture
def one_torch_thread():
    # two threads on a shared 2-core box are slower than one for these tiny models
    import torch
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
