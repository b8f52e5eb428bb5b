"""The same files imported again with no sales written since are not read (inventory.ingest.loads);
any write to the sales, a changed byte, a changed option or `reread` reads them again."""
import pytest
from django.db import connection
from django.db.models import Sum

from inventory.ingest import loads
from inventory.ingest.api import import_files
from inventory.ingest.base import ImportOptions
from inventory.models import Product, SalesDay, SalesLoad

from .test_ingest_support import m5_slice

pytestmark = pytest.mark.django_db


@pytest.fixture
def folder(data_dir, tmp_path):
    return m5_slice(data_dir, tmp_path / "m5", series=6, days=120)


@pytest.mark.postgres
def test_unchanged_files_are_not_read_again(folder):
    first = import_files("m5", [folder])
    stored = SalesDay.objects.count()
    writes = loads.sales_writes()
    again = import_files("m5", [folder])
    assert again.unchanged_since and again.rows_read == 0 and again.facts_staged == 0
    assert (again.days_inserted, again.days_updated, again.days_unchanged) == (0, 0, first.days_inserted)
    assert loads.sales_writes() == writes and SalesDay.objects.count() == stored
    assert SalesLoad.objects.count() == 1  # nothing new to remember


@pytest.mark.postgres
def test_any_write_to_the_sales_makes_the_next_import_read(folder):
    import_files("m5", [folder])
    day = SalesDay.objects.filter(units__gt=0).order_by("id").first()
    SalesDay.objects.filter(pk=day.pk).update(units=day.units + 5)  # a hand correction
    again = import_files("m5", [folder])
    assert again.unchanged_since is None and again.rows_read > 0
    assert again.days_updated == 1  # the file's figure is back
    assert SalesDay.objects.get(pk=day.pk).units == day.units
    # A deleted product takes its sales with it (a DELETE on SalesDay): read again, restored.
    product = Product.objects.get(pk=day.product_id)
    gone = SalesDay.objects.filter(product=product).count()
    product.delete()
    restored = import_files("m5", [folder])
    assert restored.unchanged_since is None and restored.days_inserted == gone


@pytest.mark.postgres
def test_reread_a_changed_file_or_other_options_read_again(folder):
    first = import_files("m5", [folder])
    forced = import_files("m5", [folder], options=ImportOptions(reread=True))
    assert forced.unchanged_since is None and forced.rows_read > 0 and forced.days_unchanged == first.days_inserted
    other_rule = import_files("m5", [folder], options=ImportOptions(conflict="skip"))
    assert other_rule.unchanged_since is None and other_rule.rows_read > 0
    sales = folder / "sales_train_validation.csv"
    text = sales.read_text().splitlines()
    header, row = text[0].split(","), text[1].split(",")
    row[-1] = str(int(row[-1]) + 3)  # one more sale on the last day of the first series
    sales.write_text("\n".join([",".join(header), ",".join(row), *text[2:]]) + "\n")
    changed = import_files("m5", [folder])
    assert changed.unchanged_since is None and changed.days_updated + changed.days_inserted == 1


@pytest.mark.postgres
def test_a_dry_run_or_a_refused_file_is_never_remembered(folder, tmp_path):
    import_files("m5", [folder], dry_run=True)
    assert not SalesLoad.objects.exists() and not SalesDay.objects.exists()
    import_files("m5", [folder])
    dry = import_files("m5", [folder], dry_run=True)  # a dry run validates: it always reads
    assert dry.unchanged_since is None and dry.rows_read > 0


@pytest.mark.postgres
def test_the_counter_moves_on_every_kind_of_write(folder):
    import_files("m5", [folder])
    before = loads.sales_writes()
    SalesDay.objects.filter(units=-1).delete()  # touches no row: still a write statement
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {SalesDay._meta.db_table}")
    assert loads.sales_writes() >= before + 2
    again = import_files("m5", [folder])
    assert again.days_inserted == SalesDay.objects.count() > 0


def test_sqlite_reads_every_time(folder):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path")
    import_files("m5", [folder])
    units = SalesDay.objects.aggregate(u=Sum("units"))["u"]
    again = import_files("m5", [folder])
    assert again.unchanged_since is None and again.rows_read > 0 and again.days_unchanged == SalesDay.objects.count()
    assert SalesDay.objects.aggregate(u=Sum("units"))["u"] == units and not SalesLoad.objects.exists()
