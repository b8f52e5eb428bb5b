"""manage.py import_sales: summary, dry run, refusal with the bad lines, JSON output."""
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from inventory.models import Product, SalesDay

from .test_ingest_support import pasta_slice

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_sales", *args, stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def test_wide_file_with_summary(data_dir, tmp_path):
    path = pasta_slice(data_dir, tmp_path, days=30, skus=10)
    out, _ = run("--format", "wide", "--warehouse", "IT_1", "--dry-run", str(path))
    assert "Dry run (rolled back)" in out and "days inserted" in out
    assert not SalesDay.objects.exists()


def test_generic_with_column_names_and_json(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("Item,Store,Day,Qty\nA,W,2024-01-01,2\nPOST,W,2024-01-01,1\n")
    out, _ = run("--format", "generic", "--column", "sku=Item", "--column", "warehouse=Store", "--column", "date=Day",
                 "--column", "units=Qty", "--json", str(path))
    summary = json.loads(out)
    assert summary["days_inserted"] == 2 and summary["products_created"] == 2
    assert set(Product.objects.values_list("sku", flat=True)) == {"A", "POST"}  # generic files have no fee codes


def test_bad_file_is_refused_with_its_lines(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("sku,warehouse,date,units\nA,W,2024-01-01,2\nA,W,yesterday,1\n")
    err = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_sales", "--format", "generic", str(path), stdout=StringIO(), stderr=err, verbosity=0)
    assert "s.csv:3 [date] 'yesterday'" in err.getvalue()
    assert not SalesDay.objects.exists()


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(CommandError, match="ROLE=NAME"):
        run("--format", "generic", "--column", "units", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="no such file"):
        run("--format", "generic", str(tmp_path / "missing.csv"))
