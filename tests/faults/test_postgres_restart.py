"""PostgreSQL restarted while writers are selling: requests fail cleanly, then recover, and the
stock levels still equal the ledger (no lost or half-written movement)."""
import os
import shutil
import subprocess
import threading
import time

import pytest
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.db.models import Sum

from inventory import services
from inventory.errors import InsufficientStock
from inventory.models import StockLevel, StockMovement
from tests.factories import make_product, make_warehouse

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _cluster():
    if not shutil.which("pg_ctlcluster") or os.geteuid() != 0:
        pytest.skip("needs root and pg_ctlcluster to restart the local PostgreSQL")
    version = sorted(os.listdir("/etc/postgresql"))[0]
    return version, "main"


def _wait_for_postgres(timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
            return
        time.sleep(0.5)
    pytest.fail("PostgreSQL did not come back after the restart")


def test_writes_survive_a_database_restart():
    version, cluster = _cluster()
    products = [make_product() for _ in range(3)]
    warehouse = make_warehouse()
    for product in products:
        services.receive(product, warehouse, 10_000)

    stop = threading.Event()
    counts = {"ok": 0, "failed_cleanly": 0, "unexpected": []}
    lock = threading.Lock()

    def seller(index):
        product = products[index % len(products)]
        while not stop.is_set():
            try:
                services.sell(product, warehouse, 1, reference=f"load {index}")
                outcome = "ok"
            except (OperationalError, InterfaceError, DatabaseError):
                outcome = "failed_cleanly"
                connections.close_all()  # the next attempt opens a fresh connection
                time.sleep(0.2)
            except InsufficientStock as exc:  # cannot happen with 10,000 units; recorded if it does
                outcome = exc
            with lock:
                if isinstance(outcome, str):
                    counts[outcome] += 1
                else:
                    counts["unexpected"].append(outcome)
        connections.close_all()

    threads = [threading.Thread(target=seller, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)
    before_restart = counts["ok"]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster, "restart", "-m", "fast"], check=True)
    _wait_for_postgres()
    time.sleep(2.0)  # writers recover and carry on
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    connections.close_all()

    assert not counts["unexpected"], counts["unexpected"]
    assert counts["failed_cleanly"] > 0, "the restart was not noticed: the test did not test anything"
    assert counts["ok"] > before_restart, "writers did not recover after the restart"
    for product in products:
        level = StockLevel.objects.get(product=product, warehouse=warehouse)
        ledger = StockMovement.objects.filter(product=product, warehouse=warehouse).aggregate(s=Sum("quantity"))["s"]
        assert level.on_hand == ledger, f"{product.sku}: level {level.on_hand} != ledger {ledger}"
        last = StockMovement.objects.filter(product=product, warehouse=warehouse).order_by("-id").first()
        assert last.balance_after == level.on_hand
