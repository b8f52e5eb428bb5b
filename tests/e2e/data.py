"""A small but realistic shop for the browser tests: half a year of daily sales with a weekly
pattern and promotion days, two warehouses, a planner and a viewer."""
import math
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group

from inventory import services
from inventory.models import Promotion, SalesDay
from inventory_site.roles import PLANNER, VIEWER
from tests.factories import make_category, make_product, make_supplier, make_warehouse

PASSWORD = "a-long-e2e-password-42"
END = date(2024, 6, 30)


def build_shop(django_user_model):
    planner = django_user_model.objects.create_user("planner", password=PASSWORD)
    planner.groups.add(Group.objects.get(name=PLANNER))
    viewer = django_user_model.objects.create_user("viewer", password=PASSWORD)
    viewer.groups.add(Group.objects.get(name=VIEWER))
    supplier = make_supplier(code="NORD", name="Nordic Ceramics", lead_time_mean_days=Decimal("10"))
    home = make_category(code="HOME", name="Home")
    kitchen = make_category(code="KITCHEN", name="Kitchen", parent=home)
    north, south = make_warehouse(code="NORTH", name="Leeds"), make_warehouse(code="SOUTH", name="Bristol")
    mug = make_product(sku="MUG-BLUE", name="Blue enamel mug", category=kitchen, supplier=supplier,
                       unit_cost=Decimal("2.40"), price=Decimal("6.00"))
    mug_red = make_product(sku="MUG-RED", name="Red enamel mug", category=kitchen, supplier=supplier,
                           unit_cost=Decimal("2.40"), price=Decimal("6.00"))
    teapot = make_product(sku="TEAPOT", name="Stoneware teapot", category=kitchen, supplier=supplier,
                          unit_cost=Decimal("11.00"), price=Decimal("29.00"))
    services.receive(mug, north, 120)
    services.receive(mug, south, 15)
    services.receive(mug_red, north, 60)
    services.receive(teapot, north, 900)
    days = []
    for i in range(182):
        day = END - timedelta(days=181 - i)
        weekly = 1 + 0.5 * math.sin(2 * math.pi * day.weekday() / 7)
        promo = 120 <= i < 134
        units = round(8 * weekly * (1.8 if promo else 1) + (i % 5) * 0.6)
        out = i in (175, 176, 177)
        days.append(SalesDay(product=mug, warehouse=north, date=day, units=0 if out else units, in_stock=not out,
                             on_promotion=promo, revenue=Decimal(units * 6)))
        days.append(SalesDay(product=mug, warehouse=south, date=day, units=units // 3, in_stock=True,
                             on_promotion=promo, revenue=Decimal(units // 3 * 6)))
        days.append(SalesDay(product=teapot, warehouse=north, date=day, units=1 if i % 3 == 0 else 0, in_stock=True,
                             revenue=Decimal(29 if i % 3 == 0 else 0)))
        days.append(SalesDay(product=mug_red, warehouse=north, date=day, units=2 + i % 3, in_stock=True,
                             revenue=Decimal((2 + i % 3) * 6)))
    SalesDay.objects.bulk_create(days)
    spring = Promotion.objects.create(name="Spring mugs", start_date=END - timedelta(days=61),
                                      end_date=END - timedelta(days=48), discount_pct=Decimal("20"),
                                      status=Promotion.Status.COMPLETED)
    spring.products.add(mug)
    spring.warehouses.add(north, south)
    return {"planner": planner, "viewer": viewer, "supplier": supplier, "north": north, "south": south,
            "mug": mug, "mug_red": mug_red, "teapot": teapot}
