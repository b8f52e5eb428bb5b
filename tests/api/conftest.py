"""Users of each role with API tokens, and clients that send them."""
import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from inventory_site.roles import ADMIN, PLANNER, VIEWER


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # Throttle counters live in the cache; one test's writes must not count against the next.
    cache.clear()
    yield
    cache.clear()


def make_user(django_user_model, username, role=None):
    user = django_user_model.objects.create_user(username, password="a-long-test-password-1")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def viewer(django_user_model):
    return make_user(django_user_model, "viewer1", VIEWER)


@pytest.fixture
def planner(django_user_model):
    return make_user(django_user_model, "planner1", PLANNER)


@pytest.fixture
def admin_user_role(django_user_model):
    return make_user(django_user_model, "admin1", ADMIN)


@pytest.fixture
def anon_client():
    return APIClient()


@pytest.fixture
def viewer_client(viewer):
    return client_for(viewer)


@pytest.fixture
def planner_client(planner):
    return client_for(planner)


@pytest.fixture
def admin_client_api(admin_user_role):
    return client_for(admin_user_role)


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in process for this test, whatever the broker: these tests check the API,
    not the worker (tests/test_celery_worker.py runs a real one)."""
    from inventory_site.celery import app

    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(task_always_eager=saved[0], task_eager_propagates=saved[1])
