"""Suite-wide test set-up.

The suite runs against whatever DATABASE_URL and CELERY_BROKER_URL say: unset, SQLite and eager
tasks; set (as in CI), the real PostgreSQL and Redis. Tests that need a real service are marked
and skip with a message that names the missing variable, so a skip is never silent.
"""
import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("STOCKCAST_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


def using_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def using_redis() -> bool:
    return os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    skip_redis = pytest.mark.skip(reason="needs Redis: set CELERY_BROKER_URL=redis://... (CI does)")
    for item in items:
        if "postgres" in item.keywords and not using_postgres():
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not using_redis():
            item.add_marker(skip_redis)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data sets (../shared/data); tests that need them skip plainly when absent."""
    if not DATA_DIR.is_dir():
        pytest.skip(f"real data folder {DATA_DIR} is missing (set STOCKCAST_DATA_DIR)")
    return DATA_DIR


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process for this test even when CI points Celery at a real broker
    (tests that need a real worker start one: see tests/workers.py)."""
    from inventory_site.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(task_always_eager=saved[0], task_eager_propagates=saved[1])


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Every test starts with an empty cache. The cache outlives a test's rolled-back database,
    and ids repeat (after a rollback on SQLite, in a new test database on PostgreSQL), so a
    figure cached "until the sales change" (staff.figure_cache) could survive into another test.
    The cache is its own Redis database in CI (/1), apart from the broker's (/0)."""
    from django.core.cache import cache  # after Django is configured by pytest-django

    cache.clear()


@pytest.fixture(autouse=True)
def _no_developer_rl_policy(settings, tmp_path):
    """The learned policy lives in var/models/ by default, where `make demo` trains one: a test
    that expects no policy (or trains its own) must not find the developer's. Each test gets an
    empty place of its own; a test that wants another sets the setting itself."""
    settings.REPLENISHMENT_RL_POLICY = str(tmp_path / "replenishment_rl.pt")
