"""forecasting.history.daily_panel (dense arrays straight from the database) follows the rules of
forecasting.ml.data.panel_from_long (the pivot of a long frame): same grid, rows and cells."""
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from forecasting.history import daily_panel, uid
from forecasting.ml.data import panel_from_long
from inventory.models import SalesDay
from tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


def test_dense_panel_equals_the_pivot_of_the_long_frame():
    rng = np.random.default_rng(7)
    products = [make_product() for _ in range(4)]
    warehouses = [make_warehouse() for _ in range(3)]
    start, as_of = date(2024, 1, 1), date(2024, 3, 10)
    keys = [(p.pk, w.pk) for p in products for w in warehouses[:2]]
    never_sold = keys.pop()  # asked for, no rows: unobserved throughout
    rows = []
    for p in products:
        for w in warehouses:
            if (p.pk, w.pk) == never_sold:
                continue
            first = start + timedelta(days=int(rng.integers(0, 30)))
            for d in range((date(2024, 3, 20) - first).days):  # rows after as_of too
                if rng.random() < 0.3:
                    continue  # a day without a row: nothing sold
                units = int(rng.poisson(3))
                rows.append(SalesDay(product=p, warehouse=w, date=first + timedelta(days=d), units=units,
                                     avg_price=None if rng.random() < 0.2 else Decimal("2.5") + d % 3,
                                     on_promotion=rng.random() < 0.1,
                                     in_stock=[True, False, None][int(rng.integers(0, 3))]))
    SalesDay.objects.bulk_create(rows)
    statics = pd.DataFrame({"unique_id": [uid(*k) for k in keys + [never_sold]], "category": "c", "description": "d"})

    dense = daily_panel(keys + [never_sold], as_of, statics)

    wanted = set(keys)
    long = pd.DataFrame([{"unique_id": uid(r.product_id, r.warehouse_id), "ds": pd.Timestamp(r.date), "y": r.units,
                          "price": float(r.avg_price) if r.avg_price is not None else np.nan,
                          "on_promotion": float(r.on_promotion),
                          "in_stock": {True: 1.0, False: 0.0, None: np.nan}[r.in_stock]}
                         for r in rows if (r.product_id, r.warehouse_id) in wanted and r.date <= as_of])
    anchor = pd.DataFrame({"unique_id": [uid(*never_sold)], "ds": [pd.Timestamp(as_of)], "y": [0.0],
                           "price": [np.nan], "on_promotion": [0.0], "in_stock": [np.nan]})
    pivot = panel_from_long(pd.concat([long, anchor], ignore_index=True), statics, freq="D")
    pivot.y[list(pivot.ids).index(uid(*never_sold))] = np.nan

    assert list(dense.ids) == list(pivot.ids) and dense.dates.equals(pivot.dates)
    assert dense.dates[0] == long["ds"].min() and dense.dates[-1] == pd.Timestamp(as_of)
    for name in ("y", "price", "promo", "event", "snap"):
        assert np.array_equal(getattr(dense, name), getattr(pivot, name), equal_nan=True), name
    assert dense.extra["stockout_periods"] == pivot.extra["stockout_periods"] > 0
    assert np.isnan(dense.y[list(dense.ids).index(uid(*never_sold))]).all()
