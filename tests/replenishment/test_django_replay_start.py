"""The replay starts every method from where the shop really stood: the stock ledger's balance at
the end of the origin day and the purchase orders then in transit, each arriving in the period
it was received; a pair the ledger had not seen starts from an estimate, and the run says how
many did which."""
from datetime import date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import numpy as np
import pytest
from django.utils import timezone

from inventory.models import MovementKind, SalesDay
from inventory.purchasing.services import (
    OrderLineRequest,
    approve_purchase_order,
    create_purchase_order,
    receive_purchase_order_line,
    send_purchase_order,
)
from inventory.services import record_movement
from replenishment.replay_start import start_state
from replenishment.replays import replay_history
from tests.factories import make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db
AS_OF = date(2024, 6, 30)
ORIGIN = AS_OF - timedelta(weeks=8)       # an 8-week replay starts the day after


def _at(day, hour, action):
    """Do ``action`` as of a past moment: the ledger stamps lines with the clock and refuses later
    changes, so the clock is set instead."""
    at = timezone.make_aware(datetime(day.year, day.month, day.day, hour))
    with mock.patch("django.utils.timezone.now", return_value=at):
        return action()


@pytest.fixture
def shop():
    sup = make_supplier(code="S1", lead_time_mean_days=Decimal(14))      # 2 weeks: 2 transit slots
    w = make_warehouse(code="W1")
    known, unknown = make_product(sku="LEDGER", supplier=sup), make_product(sku="NOLEDGER", supplier=sup)
    rows = [SalesDay(product=p, warehouse=w, date=AS_OF - timedelta(days=d), units=3, avg_price="5.00")
            for p in (known, unknown) for d in range(200)]
    SalesDay.objects.bulk_create(rows)
    return sup, w, known, unknown


def test_the_start_is_the_ledger_s_position_at_the_end_of_the_origin_day(shop):
    sup, w, known, unknown = shop
    opening = _at(ORIGIN - timedelta(days=3), 9, lambda: record_movement(
        product=known, warehouse=w, kind=MovementKind.ADJUSTMENT, quantity=37, reference="count"))
    _at(ORIGIN + timedelta(days=2), 9, lambda: record_movement(      # after the origin: not the start
        product=known, warehouse=w, kind=MovementKind.SALE, quantity=5, reference="sale"))
    order = _at(ORIGIN - timedelta(days=6), 9, lambda: create_purchase_order(
        supplier=sup, warehouse=w, lines=[OrderLineRequest(known, 20), OrderLineRequest(unknown, 9)]))
    _at(ORIGIN - timedelta(days=6), 10, lambda: approve_purchase_order(order))
    _at(ORIGIN - timedelta(days=5), 9, lambda: send_purchase_order(order))
    lines = {line.product_id: line for line in order.lines.all()}
    # received 9 days after the origin: in the replay's second week
    _at(ORIGIN + timedelta(days=9), 9, lambda: receive_purchase_order_line(lines[known.pk], 20))
    _at(ORIGIN + timedelta(days=9), 10, lambda: receive_purchase_order_line(lines[unknown.pk], 9))
    late = create_purchase_order(supplier=sup, warehouse=w, lines=[OrderLineRequest(known, 50)])
    _at(ORIGIN + timedelta(days=1), 9, lambda: approve_purchase_order(late))      # placed after the origin
    _at(ORIGIN + timedelta(days=8), 9, lambda: receive_purchase_order_line(late.lines.get(), 50))

    keys = [(known.pk, w.pk), (unknown.pk, w.pk)]
    start = start_state(keys, ORIGIN, AS_OF, 7, np.array([2, 2]), np.array([4.2, 6.0]))
    assert start.from_ledger.tolist() == [True, False]
    assert start.on_hand[0] == opening.balance_after           # the ledger's balance then
    assert start.pipeline[0].tolist() == [0, 20]               # the order placed before, in week 2
    # the pair the ledger had not seen by then (its first line is the receipt): the estimate
    assert start.on_hand[1] == 6 and start.pipeline[1].tolist() == [6, 6]

    run = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    assert run.started_from_ledger == 1


def test_a_receipt_later_than_the_lead_time_lands_in_the_last_slot_and_without_a_lead_time_on_the_shelf(shop):
    sup, w, known, _ = shop
    _at(ORIGIN - timedelta(days=1), 9, lambda: record_movement(
        product=known, warehouse=w, kind=MovementKind.ADJUSTMENT, quantity=12, reference="count"))
    order = _at(ORIGIN - timedelta(days=2), 9, lambda: create_purchase_order(
        supplier=sup, warehouse=w, lines=[OrderLineRequest(known, 30)]))
    _at(ORIGIN - timedelta(days=2), 10, lambda: approve_purchase_order(order))       # approved, never marked sent
    _at(ORIGIN + timedelta(days=30), 9, lambda: receive_purchase_order_line(order.lines.get(), 30))
    keys = [(known.pk, w.pk)]
    assert start_state(keys, ORIGIN, AS_OF, 7, np.array([2]), np.array([1.0])).pipeline.tolist() == [[0, 30]]
    no_lead = start_state(keys, ORIGIN, AS_OF, 7, np.array([0]), np.array([1.0]))
    assert no_lead.pipeline.shape == (1, 0) and no_lead.on_hand.tolist() == [12 + 30]
