"""Users with each role and a small, fully known catalogue for the staff page tests."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from inventory import services
from inventory.models import SalesDay
from inventory_site.roles import PLANNER, VIEWER
from tests.factories import make_category, make_product, make_supplier, make_warehouse

PASSWORD = "a-long-test-password-42"


def _user(django_user_model, name, role):
    user = django_user_model.objects.create_user(name, password=PASSWORD)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def viewer(django_user_model):
    return _user(django_user_model, "vera", VIEWER)


@pytest.fixture
def planner(django_user_model):
    return _user(django_user_model, "piet", PLANNER)


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def planner_client(client, planner):
    client.force_login(planner)
    return client


@pytest.fixture
def shop(db):
    """Two products in one warehouse with 28 days of known sales ending 2024-03-28.

    - mug (cost 2): 40 on hand, sells 10 a day, supplier lead time 7 days -> at risk (4 days of cover);
      out of stock on the last 2 days (in_stock False, 0 units).
    - lamp (cost 10): 500 on hand, sells 1 a day -> 90-day overstock threshold leaves 410 units over.
    """
    supplier = make_supplier(code="ACME", name="Acme", lead_time_mean_days=Decimal("7"))
    category = make_category(code="HOME", name="Home")
    warehouse = make_warehouse(code="LON", name="London")
    mug = make_product(sku="MUG-1", name="Blue enamel mug", unit_cost=Decimal("2"), category=category, supplier=supplier)
    lamp = make_product(sku="LAMP-1", name="Desk lamp", unit_cost=Decimal("10"), category=category, supplier=supplier)
    services.receive(mug, warehouse, 40)
    services.receive(lamp, warehouse, 500)
    end = date(2024, 3, 28)
    days = []
    for i in range(28):
        day = end - timedelta(days=27 - i)
        out = i >= 26
        days.append(SalesDay(product=mug, warehouse=warehouse, date=day, units=0 if out else 10, in_stock=not out,
                             revenue=Decimal("0") if out else Decimal("50")))
        days.append(SalesDay(product=lamp, warehouse=warehouse, date=day, units=1, in_stock=True, revenue=Decimal("20")))
    SalesDay.objects.bulk_create(days)
    return {"supplier": supplier, "warehouse": warehouse, "mug": mug, "lamp": lamp, "category": category, "end": end}
