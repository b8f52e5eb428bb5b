import pytest
from django.contrib.auth.models import Group

from inventory_site.roles import ADMIN, PLANNER, VIEWER, can_plan

pytestmark = pytest.mark.django_db


def test_migrate_creates_the_role_groups_with_their_permissions():
    viewer, planner = Group.objects.get(name=VIEWER), Group.objects.get(name=PLANNER)
    assert viewer.permissions.filter(codename="view_product").exists()
    assert not viewer.permissions.filter(codename="change_product").exists()
    assert planner.permissions.filter(codename="change_purchaseorder").exists()
    assert not planner.permissions.filter(codename="delete_product").exists()
    assert Group.objects.get(name=ADMIN).permissions.filter(codename="delete_product").exists()


def test_can_plan_follows_groups(django_user_model):
    user = django_user_model.objects.create_user("u", password="a-long-test-password")
    assert not can_plan(user)
    user.groups.add(Group.objects.get(name=PLANNER))
    user = django_user_model.objects.get(pk=user.pk)
    assert can_plan(user)
