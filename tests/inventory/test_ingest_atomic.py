"""All or nothing: an exception in the writer or a killed process leaves the database as it was."""
import os
import signal
import subprocess
import sys
import time

import psycopg
import pytest
from django.db import connection

from inventory.ingest import writer as writer_module
from inventory.ingest.api import import_files
from inventory.models import Product, SalesDay, Warehouse

from .test_ingest_support import online_retail_slices

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def counts():
    return Product.objects.count(), Warehouse.objects.count(), SalesDay.objects.count()


@pytest.mark.django_db
def test_exception_in_the_final_upsert_leaves_nothing(data_dir, tmp_path, monkeypatch):
    first, second = online_retail_slices(data_dir, tmp_path)
    real_upsert = writer_module.SalesWriter.upsert

    def upsert_then_fail(self, counts, **kwargs):
        real_upsert(self, counts, **kwargs)  # products, warehouses and days are written by now...
        assert SalesDay.objects.exists()
        raise RuntimeError("disk full")  # ...and then the process fails before the commit

    monkeypatch.setattr(writer_module.SalesWriter, "upsert", upsert_then_fail)
    with pytest.raises(RuntimeError, match="disk full"):
        import_files("online_retail", [first, second])
    assert counts() == (0, 0, 0)


@pytest.mark.django_db
def test_exception_while_staging_leaves_earlier_data_untouched(tmp_path, monkeypatch):
    path = tmp_path / "a.csv"
    path.write_text("sku,warehouse,date,units\nA,W,2024-01-01,4\n")
    import_files("generic", [path])
    before = list(SalesDay.objects.values())
    path.write_text("sku,warehouse,date,units\nA,W,2024-01-01,9\nB,W,2024-01-02,1\n")
    monkeypatch.setattr(writer_module.SalesWriter, "write_catalogue", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError):
        import_files("generic", [path])
    assert list(SalesDay.objects.values()) == before and not Product.objects.filter(sku="B").exists()


KILLED_IMPORT = """
import sys, time, django
django.setup()
from inventory.ingest.api import import_files
def hold():
    print("WRITTEN-NOT-COMMITTED", flush=True)
    time.sleep(120)
import_files("online_retail", sys.argv[1:], before_commit=hold)
"""


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_import_killed_before_commit_leaves_nothing(data_dir, tmp_path):
    first, second = online_retail_slices(data_dir, tmp_path)
    db = connection.settings_dict
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="inventory_site.settings",
               DATABASE_URL=f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}")
    proc = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, str(first), str(second)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 90
        line = ""
        while "WRITTEN-NOT-COMMITTED" not in line:
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() else "timeout"
            line = proc.stdout.readline()
        # Everything is written inside the subprocess's open transaction: invisible from here...
        with psycopg.connect(host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"]) as other:
            uncommitted = other.execute("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'").fetchone()[0]
        assert uncommitted >= 1
        assert counts() == (0, 0, 0)
        proc.send_signal(signal.SIGKILL)  # ...and killed before the commit
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.5)
    assert counts() == (0, 0, 0)
    # Nothing left locked: the same import now runs to the end.
    summary = import_files("online_retail", [first, second])
    assert summary.days_inserted == SalesDay.objects.count() > 0
