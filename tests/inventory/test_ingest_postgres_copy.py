"""The PostgreSQL path: chunks go in with COPY (psycopg 3), then one INSERT ... ON CONFLICT."""
import psycopg
import pytest
from django.db import connection
from django.db.models import Sum

from inventory.ingest.api import import_files
from inventory.ingest.base import ImportOptions
from inventory.models import SalesDay

from .test_ingest_online_retail import expected_lines
from .test_ingest_support import online_retail_slices

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_copy_and_one_upsert(data_dir, tmp_path, monkeypatch):
    first, second = online_retail_slices(data_dir, tmp_path)
    copies, upserts = [], []
    real_copy = psycopg.Cursor.copy

    def spy_copy(self, statement, *args, **kwargs):
        copies.append(str(statement))
        return real_copy(self, statement, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "copy", spy_copy)

    def spy_execute(execute, sql, params, many, context):
        if "ON CONFLICT" in sql:
            upserts.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy_execute):
        summary = import_files("online_retail", [first, second], options=ImportOptions(chunk_rows=5000))
    assert len(copies) >= 3 and all(c.startswith("COPY stockcast_ingest_stage") for c in copies)
    assert len(upserts) == 1
    lines = expected_lines(first, second)
    sold = lines[~lines.Invoice.str.startswith("C") & (lines.qty > 0)]
    assert SalesDay.objects.aggregate(u=Sum("units"))["u"] == sold.qty.sum()
    assert summary.days_inserted == SalesDay.objects.count()


def test_a_large_load_refreshes_the_planner_statistics(data_dir, tmp_path, monkeypatch):
    from inventory.ingest import writer

    first, _ = online_retail_slices(data_dir, tmp_path)
    statements = []

    def spy(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(writer, "ANALYZE_AFTER_ROWS", 1)  # the slice is small; a real load is 100 k+
    with connection.execute_wrapper(spy):
        import_files("online_retail", [first])
    assert f"ANALYZE {SalesDay._meta.db_table}" in statements
    statements.clear()
    with connection.execute_wrapper(spy):
        import_files("online_retail", [first])  # nothing changed: no statistics to refresh
    assert not any(s.startswith(f"ANALYZE {SalesDay._meta.db_table}") for s in statements)


def _salesday_indexes():
    with connection.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [SalesDay._meta.db_table])
        return dict(cur.fetchall())


def test_a_load_larger_than_the_table_builds_its_indexes_after(data_dir, tmp_path, monkeypatch):
    from inventory.ingest import writer

    first, second = online_retail_slices(data_dir, tmp_path)
    before = _salesday_indexes()
    statements = []

    def spy(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(writer, "DEFER_INDEXES_ROWS", 1)
    with connection.execute_wrapper(spy):
        summary = import_files("online_retail", [first])
    dropped = [s for s in statements if s.startswith("DROP INDEX")]
    assert len(dropped) == 2  # (date) and (warehouse, date); the unique one and the key stay
    assert _salesday_indexes() == before and summary.days_inserted == SalesDay.objects.count() > 0
    statements.clear()
    with connection.execute_wrapper(spy):
        import_files("online_retail", [first])  # smaller than what is stored now: indexes stay
    assert not any(s.startswith("DROP INDEX") for s in statements)
