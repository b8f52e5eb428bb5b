"""Concurrent writers against the real PostgreSQL: row locks, no lost updates, no deadlocks."""
import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from inventory import services
from inventory.errors import InsufficientStock
from inventory.models import StockLevel, StockMovement
from tests.factories import make_product, make_warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_in_threads(count, target):
    """Start `count` threads at the same instant; return what each returned or raised."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def worker(index):
        try:
            barrier.wait()
            outcomes[index] = target(index)
        except Exception as exc:  # collected and asserted on by the caller
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a writer hung: deadlock or lock leak"
    return outcomes


def test_twenty_threads_selling_the_last_ten_units():
    assert connection.vendor == "postgresql"
    product, warehouse = make_product(), make_warehouse()
    services.receive(product, warehouse, 10)

    outcomes = run_in_threads(20, lambda i: services.sell(product, warehouse, 1, reference=f"order {i}"))

    sold = [o for o in outcomes if isinstance(o, StockMovement)]
    refused = [o for o in outcomes if isinstance(o, InsufficientStock)]
    assert len(sold) == 10 and len(refused) == 10, outcomes
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    ledger = StockMovement.objects.filter(product=product, warehouse=warehouse).aggregate(s=Sum("quantity"))["s"]
    assert level.on_hand == 0 == ledger
    assert sorted(m.balance_after for m in sold) == list(range(10))


def test_concurrent_transfers_in_both_directions_do_not_deadlock():
    product = make_product()
    a, b = make_warehouse(capacity_units=1000), make_warehouse(capacity_units=1000)
    services.receive(product, a, 100)
    services.receive(product, b, 100)

    def move(i):
        source, destination = (a, b) if i % 2 else (b, a)
        return services.transfer_stock(product=product, source=source, destination=destination, quantity=1)

    outcomes = run_in_threads(16, move)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    total = StockLevel.objects.filter(product=product).aggregate(s=Sum("on_hand"))["s"]
    assert total == 200 == StockMovement.objects.filter(product=product).aggregate(s=Sum("quantity"))["s"]


def test_concurrent_replays_of_one_key_write_one_movement():
    product, warehouse = make_product(), make_warehouse()
    outcomes = run_in_threads(
        10, lambda i: services.receive(product, warehouse, 5, idempotency_key="delivery-42").pk
    )
    assert len(set(outcomes)) == 1, outcomes
    assert StockLevel.objects.get(product=product, warehouse=warehouse).on_hand == 5
