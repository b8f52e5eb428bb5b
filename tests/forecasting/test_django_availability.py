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


def _on(day, hour, record):
    """Replay a ledger line as of a past moment: the ledger stamps lines with the clock and
    refuses any later change (PostgreSQL's append-only trigger), so the clock is set instead."""
    from unittest import mock

    from django.utils import timezone

    at = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, hour))
    with mock.patch("django.utils.timezone.now", return_value=at):
        movement = record()
    assert movement.created_at == at
    return movement


def test_days_the_ledger_shows_empty_all_day_are_unobserved_unless_something_sold():
    from forecasting.ledger_availability import ledger_stockout_days
    from inventory import services

    product = Product.objects.create(sku="AV-2", name="y", price=3)
    wh = Warehouse.objects.create(code="AVL", name="l")
    start = date(2024, 3, 1)
    day = {i: start + timedelta(days=i) for i in range(40)}
    # sales history: 4 a day, nothing on days 12-17 and from day 25 on, except 4 sold on day 26
    SalesDay.objects.bulk_create(
        SalesDay(product=product, warehouse=wh, date=day[i], units=0 if 12 <= i < 18 or (i >= 25 and i != 26) else 4)
        for i in range(40))
    # ledger: 40 received on day 2, sold out on day 11 (part of day 11 had stock), restocked on day 15
    # at 09:00; empty again from day 25 on, though day 26 records a sale (the ledger missed stock)
    # and day 27's import says in stock
    _on(day[2], 12, lambda: services.receive(product, wh, 40))
    _on(day[11], 12, lambda: services.sell(product, wh, 40))
    _on(day[15], 9, lambda: services.receive(product, wh, 50))
    _on(day[24], 18, lambda: services.sell(product, wh, 50))
    SalesDay.objects.filter(product=product, warehouse=wh, date=day[27]).update(in_stock=True)
    empty = set(ledger_stockout_days([(product.pk, wh.pk)], day[0], day[39])["date"])
    assert empty == {day[i] for i in (12, 13, 14)} | {day[i] for i in range(25, 40)}
    panel = build_panel([(product.pk, wh.pk)], day[39], 7)
    y = panel.y[0, :panel.n_obs]
    unobserved = {i for i in range(40) if np.isnan(y[i])}
    # 12-14 empty; 15 restocked that morning (a real zero); 26 sold and 27 recorded in stock: the sales win
    assert unobserved == {12, 13, 14} | (set(range(25, 40)) - {26, 27})
    assert y[16] == 0 and y[26] == 4 and y[27] == 0 and y[11] == 4


def test_the_ledger_days_of_two_pairs_on_the_same_days_stay_apart():
    from forecasting.ledger_availability import ledger_stockout_days
    from inventory import services

    a, b = Product.objects.create(sku="AV-3", name="a", price=1), Product.objects.create(sku="AV-4", name="b", price=1)
    wh, other = Warehouse.objects.create(code="AVA", name="a"), Warehouse.objects.create(code="AVB", name="b")
    day = {i: date(2024, 5, 1) + timedelta(days=i) for i in range(12)}
    _on(day[1], 10, lambda: services.receive(a, wh, 5))
    _on(day[1], 11, lambda: services.receive(b, wh, 5))
    _on(day[2], 10, lambda: services.sell(a, wh, 5))       # a empty from day 3 ...
    _on(day[6], 10, lambda: services.receive(a, wh, 2))    # ... to day 5; day 6 restocked
    _on(day[4], 10, lambda: services.sell(b, wh, 5))       # b empty from day 5 to the end
    _on(day[8], 10, lambda: services.receive(b, other, 3))
    _on(day[8], 15, lambda: services.sell(b, other, 3))     # b at the other warehouse: empty from day 9
    got = ledger_stockout_days([(a.pk, wh.pk), (b.pk, wh.pk), (b.pk, other.pk)], day[4], day[11])
    by_pair = {k: set(g["date"]) for k, g in got.groupby(["product_id", "warehouse_id"])}
    assert by_pair == {(a.pk, wh.pk): {day[4], day[5]}, (b.pk, wh.pk): {day[i] for i in range(5, 12)},
                       (b.pk, other.pk): {day[i] for i in range(9, 12)}}
    # a pair not asked for is not answered
    assert set(ledger_stockout_days([(a.pk, wh.pk)], day[0], day[11])["warehouse_id"]) == {wh.pk}
