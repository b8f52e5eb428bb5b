"""Data for the operations tests: a small real slice of M5 history in the database."""
from datetime import date, timedelta

import numpy as np
import pytest

from inventory.models import Product, SalesDay, Warehouse


@pytest.fixture
def small_history(db):
    """8 products x 2 warehouses x 150 days of seeded Poisson demand with a weekly pattern."""
    rng = np.random.default_rng(7)
    warehouses = [Warehouse.objects.create(code=f"OPS{i}", name=f"Ops {i}") for i in range(2)]
    products = [Product.objects.create(sku=f"OPS-{i}", name=f"Ops product {i}", price=5) for i in range(8)]
    start = date(2024, 1, 1)
    weekly = np.array([1.0, 0.9, 0.9, 1.0, 1.2, 1.5, 1.3])
    rows = []
    for p_index, product in enumerate(products):
        for warehouse in warehouses:
            level = 2 + p_index
            for day in range(150):
                units = int(rng.poisson(level * weekly[day % 7]))
                rows.append(SalesDay(product=product, warehouse=warehouse, date=start + timedelta(days=day),
                                     units=units, revenue=units * 5, avg_price=5))
    SalesDay.objects.bulk_create(rows)
    return products, warehouses
