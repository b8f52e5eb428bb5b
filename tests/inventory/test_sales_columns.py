"""sales_columns: the sales rows as numpy columns, in chunks (COPY + Arrow on PostgreSQL, tuples
elsewhere), equal to the rows the ORM reads, whatever the chunking; pairs_with_sales, the distinct pairs."""
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from inventory import selectors
from inventory.models import SalesDay
from tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


def _rows():
    products, warehouses = [make_product() for _ in range(3)], [make_warehouse() for _ in range(2)]
    days = []
    for n in range(40):
        p, w = products[n % 3], warehouses[n % 2]
        days.append(SalesDay(product=p, warehouse=w, date=date(2025, 1, 1) + timedelta(days=n // 6 * 7 + n % 6),
                             units=n % 5, avg_price=None if n % 4 == 0 else Decimal("1.25") + n,
                             on_promotion=n % 3 == 0, in_stock=[None, True, False][n % 3]))
    SalesDay.objects.bulk_create(days)
    return products, warehouses


def _as_sorted(chunks):
    cols = {k: np.concatenate([c[k] for c in chunks]) for k in selectors.SALES_COLUMNS}
    order = np.lexsort((cols["date"].astype(np.int64), cols["warehouse_id"], cols["product_id"]))
    return {k: v[order] for k, v in cols.items()}


def test_columns_equal_the_orm_rows_in_small_chunks(monkeypatch):
    products, warehouses = _rows()
    monkeypatch.setattr(selectors, "_COPY_BLOCK_BYTES", 200)  # PostgreSQL: many COPY blocks
    chunks = list(selectors.sales_columns(date(2025, 1, 3), None, product_ids={p.pk for p in products[:2]},
                                          warehouse_ids={w.pk for w in warehouses}, chunk_rows=7))
    assert len(chunks) > 1
    got = _as_sorted(chunks)
    expected = list(SalesDay.objects.filter(date__gte=date(2025, 1, 3), product__in=products[:2])
                    .order_by("product_id", "warehouse_id", "date").values_list(*selectors.SALES_COLUMNS))
    assert len(got["units"]) == len(expected) > 0
    for n, row in enumerate(expected):
        pid, wid, day, units, price, promo, in_stock = row
        assert (got["product_id"][n], got["warehouse_id"][n], got["date"][n]) == (pid, wid, np.datetime64(day, "D"))
        assert got["units"][n] == units and got["on_promotion"][n] == promo
        assert (np.isnan(got["avg_price"][n]) if price is None else got["avg_price"][n] == pytest.approx(float(price)))
        assert (np.isnan(got["in_stock"][n]) if in_stock is None else got["in_stock"][n] == float(in_stock))


def test_no_rows_no_chunks():
    assert list(selectors.sales_columns(date(2025, 1, 1), None)) == []


def test_pairs_with_sales_are_the_distinct_pairs():
    _rows()
    assert selectors.pairs_with_sales() == set(SalesDay.objects.values_list("product_id", "warehouse_id").distinct())
    assert len(selectors.pairs_with_sales()) == 6
    SalesDay.objects.all().delete()
    assert selectors.pairs_with_sales() == set()
