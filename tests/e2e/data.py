"""A small but realistic shop for the browser tests: half a year of daily sales with a weekly
pattern and promotion days, two warehouses, a planner and a viewer."""
import math
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from inventory import services
from inventory.models import Promotion, SalesDay
from inventory_site.roles import PLANNER, VIEWER
from tests.factories import make_category, make_product, make_supplier, make_warehouse

PASSWORD = "a-long-e2e-password-42"


def end_date() -> date:
    """Sales end yesterday, so that what-ifs (which plan from today) have recent history."""
    return timezone.localdate() - timedelta(days=1)


def build_shop(django_user_model):
    END = end_date()
    # Staff too: the import pages need staff status (and the planner role's add permission).
    planner = django_user_model.objects.create_user("planner", password=PASSWORD, is_staff=True)
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
    return {"end": END, "planner": planner, "viewer": viewer, "supplier": supplier, "north": north, "south": south,
            "mug": mug, "mug_red": mug_red, "teapot": teapot}


def add_forecast(shop, horizon: int = 28):
    """A current forecast run for MUG-BLUE in both warehouses (skipped when forecasting is absent)."""
    from forecasting.ml.base import QUANTILE_NAMES
    from forecasting.models import Forecast, ForecastRun

    run = ForecastRun.objects.create(status="succeeded", model_name="global_tide", horizon=horizon, is_current=True,
                                     as_of=shop["end"], n_shards=1, shards_done=1,
                                     metrics={"wrmsse": 0.71, "seasonal_naive_wrmsse": 0.85, "coverage_80": 0.8,
                                              "per_class": {"smooth": {"series": 2, "rmsse": 0.6}}})
    rows = []
    for wh, scale in ((shop["north"], 1.0), (shop["south"], 1 / 3)):
        for i in range(horizon):
            day = shop["end"] + timedelta(days=i + 1)
            centre = scale * 8 * (1 + 0.5 * math.sin(2 * math.pi * day.weekday() / 7))
            q = {name: max(centre * (0.4 + int(name[1:]) / 80), 0.0) for name in QUANTILE_NAMES}
            rows.append(Forecast(run=run, product=shop["mug"], warehouse=wh, date=day, mean=centre,
                                 demand_class="smooth",
                                 explanation={"level": centre * 0.8, "calendar": centre * 0.2, "price": 0.0,
                                              "promotion": 0.0}, **q))
    Forecast.objects.bulk_create(rows)
    return run
