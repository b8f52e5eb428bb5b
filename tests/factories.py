"""Small builders for test data (plain functions: the domain is small enough not to need a library)."""
from decimal import Decimal
from itertools import count

from inventory.models import Category, Product, Supplier, Warehouse

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
