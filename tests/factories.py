"""Small builders for test data (plain functions: the domain is small enough not to need a library)."""
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import numpy as np

from forecasting import services as forecast_services
from inventory.models import Category, Product, SalesDay, StockLevel, Supplier, Warehouse

_serial = count(1)


def make_supplier(**fields) -> Supplier:
    n = next(_serial)
    defaults = {"code": f"SUP{n}", "name": f"Supplier {n}", "lead_time_mean_days": Decimal("7")}
    return Supplier.objects.create(**{**defaults, **fields})


def make_category(**fields) -> Category:
    n = next(_serial)
    return Category.objects.create(**{"code": f"CAT{n}", "name": f"Category {n}", **fields})


def make_product(**fields) -> Product:
    n = next(_serial)
    defaults = {"sku": f"SKU{n:05d}", "name": f"Product {n}", "unit_cost": Decimal("2.50"), "price": Decimal("5.00")}
    return Product.objects.create(**{**defaults, **fields})


def make_warehouse(**fields) -> Warehouse:
    n = next(_serial)
    return Warehouse.objects.create(**{"code": f"WH{n}", "name": f"Warehouse {n}", **fields})


def make_selling_shop(n_pairs: int, as_of: date, **product_fields) -> Warehouse:
    """One warehouse with ``n_pairs`` products of supplier S1 (14-day lead time), 10 on hand each,
    and 300 days of Poisson sales up to ``as_of`` at rates 1-5 a day (seeded)."""
    sup = make_supplier(code="S1", lead_time_mean_days=Decimal("14"))
    w = make_warehouse(code="W1")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(n_pairs):
        p = make_product(sku=f"P{i:02d}", supplier=sup, **product_fields)
        StockLevel.objects.create(product=p, warehouse=w, on_hand=10)
        rate = 1 + i % 5
        rows += [SalesDay(product=p, warehouse=w, date=as_of - timedelta(days=d), units=int(rng.poisson(rate)),
                          avg_price="5.00") for d in range(300)]
    SalesDay.objects.bulk_create(rows)
    return w


def baseline_forecast_run(as_of: date, horizon: int = 60):
    """A succeeded forecast run with its data ending at ``as_of`` (a baseline: no training)."""
    run = forecast_services.create_run("moving_average", horizon, 1, as_of=as_of)
    forecast_services.train(run)
    forecast_services.predict_shard(run, 0, 1)
    return forecast_services.finalize(run)
