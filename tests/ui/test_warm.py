"""The pages' whole-catalogue figures are computed after an import, not by a planner's request."""
import pytest

from inventory.signals import sales_imported
from staff import demand, health, tasks, trends
from staff.figure_cache import if_cached
from tests.ui.test_page_queries import catalogue

pytestmark = pytest.mark.django_db


def test_an_import_warms_the_figures_and_the_pages_read_them(django_assert_max_num_queries, monkeypatch):
    # The task runs here whatever the broker (with Redis in CI, delay() would wait for a worker).
    monkeypatch.setattr(tasks.warm_sales_figures, "delay", lambda: tasks.warm_sales_figures.apply())
    catalogue(4)
    names = (demand.CACHE_NAME, health.WINDOW_CACHE_NAME, trends.SERVICE_CACHE_NAME)
    assert all(if_cached(name) is None for name in names)
    sales_imported.send(sender=None, summary=None)
    assert all(if_cached(name) is not None for name in names)
    ids = list(if_cached(demand.CACHE_NAME))
    with django_assert_max_num_queries(1):  # the sales fingerprint, nothing per product
        warm = demand.demand_classes_for(ids)
    assert warm == demand.compute_classes(ids) and set(warm.values()) <= set(demand.CLASSES)
