"""Recorded stock-outs reach the forecast input as unobserved days, not as zero demand."""
from datetime import date, timedelta

import numpy as np
import pytest

from forecasting.services import build_panel, uid
from inventory.models import Product, SalesDay, Warehouse

pytestmark = pytest.mark.django_db


def test_days_recorded_out_of_stock_are_unobserved_in_the_panel():
    product = Product.objects.create(sku="AV-1", name="x", price=2)
    wh = Warehouse.objects.create(code="AVW", name="a")
    start = date(2024, 1, 1)
    # 30 days: days 10-14 the shelf was empty (sold 0-1), day 20 unrecorded zero, others in stock
    SalesDay.objects.bulk_create(
        SalesDay(product=product, warehouse=wh, date=start + timedelta(days=i),
                 units=(1 if i == 10 else 0) if 10 <= i < 15 else (0 if i == 20 else 5),
                 in_stock=False if 10 <= i < 15 else (None if i == 20 else True))
        for i in range(30)
    )
    panel = build_panel([(product.pk, wh.pk)], start + timedelta(days=29), 7)
    row = list(panel.ids).index(uid(product.pk, wh.pk))
    y = panel.y[row, :panel.n_obs]
    assert np.isnan(y[10:15]).all()               # out of stock: not demand
    assert y[20] == 0 and y[9] == 5 and y[15] == 5  # not recorded / in stock: sales are demand
    assert np.isnan(panel.y[row, panel.n_obs:]).all()
