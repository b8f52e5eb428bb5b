"""The PostgreSQL path: chunks go in with COPY (psycopg 3), then one INSERT ... ON CONFLICT."""
from contextlib import contextmanager

import psycopg
import pytest
from django.db import connection
from django.db.models import Sum

from inventory.ingest.api import import_files
from inventory.ingest.base import ImportOptions
from inventory.models import SalesDay

from .test_ingest_online_retail import expected_lines
from .test_ingest_support import m5_slice, online_retail_slices

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
    monkeypatch.setattr(writer, "ANALYZE_AFTER_ROWS", 1)  # the slice is small; a real load is 100 k+
    with _recorded() as statements:
        import_files("online_retail", [first])
    assert f"ANALYZE {SalesDay._meta.db_table}" in statements
    with _recorded() as statements:  # read again, nothing changed: no statistics to refresh
        import_files("online_retail", [first], options=ImportOptions(reread=True))
    assert not any(s.startswith(f"ANALYZE {SalesDay._meta.db_table}") for s in statements)


def _salesday_indexes():
    with connection.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [SalesDay._meta.db_table])
        return dict(cur.fetchall())


@contextmanager
def _recorded():
    """The SQL statements run inside the block, in order."""
    statements = []

    def spy(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        yield statements


def test_a_load_larger_than_the_table_builds_its_indexes_after(data_dir, tmp_path, monkeypatch):
    from inventory.ingest import writer

    first, second = online_retail_slices(data_dir, tmp_path)
    before = _salesday_indexes()
    import_files("online_retail", [second])  # a small history first: the table is not empty
    keep = SalesDay.objects.order_by("id").first()
    SalesDay.objects.exclude(pk=keep.pk).delete()
    monkeypatch.setattr(writer, "DEFER_INDEXES_ROWS", 1)
    with _recorded() as statements:
        summary = import_files("online_retail", [first])
    dropped = [s for s in statements if s.startswith("DROP INDEX")]
    assert len(dropped) == 2  # (date) and (warehouse, date); the unique one and the key stay
    assert any("ON CONFLICT" in s for s in statements)  # one day was stored: the upsert
    assert _salesday_indexes() == before and summary.days_inserted + summary.days_updated + 1 >= SalesDay.objects.count() > 1
    with _recorded() as statements:
        import_files("online_retail", [first], options=ImportOptions(reread=True))  # smaller than what is stored now
    assert not any(s.startswith("DROP INDEX") for s in statements)


def _repeat_a_selling_series(folder):
    """The M5 slice's sales file with its best-selling series twice; returns (item, store, units once)."""
    sales = folder / "sales_train_validation.csv"
    lines = sales.read_text().splitlines()
    best = max(lines[1:], key=lambda line: sum(int(v) for v in line.split(",")[6:]))
    sales.write_text("\n".join(lines + [best]) + "\n")
    cells = best.split(",")
    return cells[1], cells[4], sum(int(v) for v in cells[6:])


def _stored_days():
    return list(SalesDay.objects.order_by("product__sku", "warehouse__code", "date").values_list(
        "product__sku", "warehouse__code", "date", "units", "returned_units", "revenue", "avg_price", "on_promotion",
        "in_stock"))


def test_a_large_load_into_an_empty_table_is_a_plain_insert_with_every_index_built_after(data_dir, tmp_path,
                                                                                         monkeypatch):
    from inventory.ingest import writer

    folder = m5_slice(data_dir, tmp_path / "m5", series=6, days=90)
    import_files("m5", [folder])  # far below the threshold: the upsert
    expected = _stored_days()
    SalesDay.objects.all().delete()
    before = _salesday_indexes()
    monkeypatch.setattr(writer, "DEFER_INDEXES_ROWS", 1)
    with _recorded() as statements:
        summary = import_files("m5", [folder])
    insert = next(s for s in statements if s.startswith(f"INSERT INTO {SalesDay._meta.db_table}"))
    assert "ON CONFLICT" not in insert and "GROUP BY" not in insert  # M5's facts are unique: no sums
    assert any("ADD CONSTRAINT" in s for s in statements)  # the unique one, built after
    assert _stored_days() == expected and summary.days_inserted == len(expected)
    assert _salesday_indexes() == before


def test_a_repeated_m5_series_is_summed_on_the_bulk_path_too(data_dir, tmp_path, monkeypatch):
    from inventory.ingest import writer

    folder = m5_slice(data_dir, tmp_path / "m5", series=6, days=120)
    item, store, once = _repeat_a_selling_series(folder)
    monkeypatch.setattr(writer, "DEFER_INDEXES_ROWS", 1)
    import_files("m5", [folder])
    assert once > 0
    assert SalesDay.objects.filter(product__sku=item, warehouse__code=store).aggregate(u=Sum("units"))["u"] == 2 * once


def test_a_wrong_claim_of_unique_facts_is_refused_by_the_unique_constraint(data_dir, tmp_path, monkeypatch):
    from django.db import IntegrityError

    from inventory.ingest import m5, writer

    folder = m5_slice(data_dir, tmp_path / "m5", series=6, days=120)
    _repeat_a_selling_series(folder)
    monkeypatch.setattr(writer, "DEFER_INDEXES_ROWS", 1)
    real_facts = m5.M5Adapter.facts

    def facts_claiming_unique(self):
        yield from real_facts(self)
        self.unique_facts = True  # what a bug in an adapter would say

    monkeypatch.setattr(m5.M5Adapter, "facts", facts_claiming_unique)
    before = _salesday_indexes()
    with pytest.raises(IntegrityError):
        import_files("m5", [folder])
    assert not SalesDay.objects.exists() and _salesday_indexes() == before  # all rolled back, indexes included
