"""Bad files are refused whole, with exactly their bad lines reported and nothing written."""
import pandas as pd
import pytest

from inventory.ingest.api import import_files
from inventory.ingest.base import ImportOptions
from inventory.ingest.report import MAX_LISTED, ImportRefused
from inventory.models import Category, Product, SalesDay, Warehouse

from .test_ingest_support import online_retail_sheet

pytestmark = pytest.mark.django_db


def nothing_written():
    return not (Product.objects.exists() or SalesDay.objects.exists() or Warehouse.objects.exists()
                or Category.objects.exists())


def test_corrupted_online_retail_file_lists_exactly_its_bad_lines(data_dir, tmp_path):
    lines = online_retail_sheet(data_dir, "year_2009_2010.csv.gz").head(30).copy()
    # Line numbers count the header as line 1: data row i (0-based) is line i + 2.
    lines.iloc[7 - 2, lines.columns.get_loc("InvoiceDate")] = "2009-13-45 07:45:00"
    lines.iloc[12 - 2, lines.columns.get_loc("Quantity")] = "twelve"
    path = tmp_path / "corrupted.csv.gz"
    lines.drop(columns=["Price"]).to_csv(path, index=False)
    with pytest.raises(ImportRefused) as refused:
        import_files("online_retail", [path])
    found = [(p.line, p.column, p.value) for p in refused.value.report.problems]
    assert found == [(1, "Price", ""), (7, "InvoiceDate", "2009-13-45 07:45:00"), (12, "Quantity", "twelve")]
    assert refused.value.report.problem_count == 3
    assert "required column is missing" in refused.value.report.problems[0].reason
    assert nothing_written()


def test_corrupted_generic_file_lists_exactly_its_bad_lines(tmp_path):
    rows = pd.DataFrame({
        "sku": [f"SKU{i % 3}" for i in range(20)], "warehouse": "MAIN",
        "date": pd.date_range("2024-01-01", periods=20).strftime("%Y-%m-%d"), "units": [str(i) for i in range(20)],
    })
    rows.loc[7 - 2, "date"] = "2024-02-30"
    rows.loc[12 - 2, "units"] = "12 boxes"
    rows.loc[15 - 2, "units"] = "-3"
    path = tmp_path / "sales.csv"
    rows.drop(columns=["warehouse"]).to_csv(path, index=False)
    with pytest.raises(ImportRefused) as refused:
        import_files("generic", [path])
    found = [(p.line, p.column) for p in refused.value.report.problems]
    assert found == [(1, "warehouse"), (7, "date"), (12, "units"), (15, "units")]
    assert "negative units" in refused.value.report.problems[-1].reason
    assert nothing_written()


def test_a_good_file_next_to_a_bad_one_is_not_written_either(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("sku,warehouse,date,units\nA,W1,2024-01-01,3\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,warehouse,date,units\nA,W1,2024-01-02,x\n")
    with pytest.raises(ImportRefused):
        import_files("generic", [good, bad])
    assert nothing_written()


def test_report_lists_the_first_thousand_and_counts_all(tmp_path):
    path = tmp_path / "all_bad.csv"
    path.write_text("sku,warehouse,date,units\n" + "A,W1,not-a-date,1\n" * 1500)
    with pytest.raises(ImportRefused) as refused:
        import_files("generic", [path], options=ImportOptions(chunk_rows=400))
    report = refused.value.report
    assert report.problem_count == 1500 and len(report.problems) == MAX_LISTED
    assert report.problems[-1].line == MAX_LISTED + 1


def test_unknown_warehouse_refused_when_auto_create_is_off(tmp_path):
    Warehouse.objects.create(code="W1", name="One")
    path = tmp_path / "sales.csv"
    path.write_text("sku,warehouse,date,units\nA,W1,2024-01-01,3\nA,W9,2024-01-01,2\n")
    with pytest.raises(ImportRefused) as refused:
        import_files("generic", [path], options=ImportOptions(auto_create_warehouses=False))
    assert [(p.line, p.column, p.value) for p in refused.value.report.problems] == [(3, "warehouse", "W9")]
    assert not SalesDay.objects.exists() and not Product.objects.exists()


def test_wide_and_m5_report_cell_positions(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text("DATE,QTY_A_1,QTY_A_2,PROMO_A_1,PROMO_B_9\n2024-01-01,1,2,0,0\n2024-01-02,3,x,1,0\n")
    with pytest.raises(ImportRefused) as refused:
        import_files("wide", [wide])
    assert [(p.line, p.column) for p in refused.value.report.problems] == [(1, "PROMO_B_9"), (3, "QTY_A_2")]
