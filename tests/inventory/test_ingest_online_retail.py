"""Online Retail II adapter on slices of the real sheets, checked against plain pandas."""
import pandas as pd
import pytest
from django.db.models import Sum

from inventory.ingest.api import import_files
from inventory.models import Product, SalesDay, Warehouse

from .test_ingest_support import online_retail_sheet, online_retail_slices

pytestmark = pytest.mark.django_db

EU = {"EIRE", "Germany", "France", "Netherlands", "Spain", "Portugal", "Belgium", "Sweden", "Italy", "Cyprus",
      "Austria", "Greece", "Denmark", "Finland", "Poland", "Malta", "Lithuania", "Czech Republic",
      "European Community", "Switzerland", "Norway", "Iceland"}


@pytest.fixture
def slices(data_dir, tmp_path):
    return online_retail_slices(data_dir, tmp_path)


def expected_lines(first, second) -> pd.DataFrame:
    """Independent of the adapter: invoices of the second file already in the first are dropped
    (in this data the first sheet holds every line of a shared invoice), goods are codes that
    start with a digit plus the DCGS/SP party goods, sales have a positive price."""
    a = pd.read_csv(first, dtype=str, keep_default_na=False)
    b = pd.read_csv(second, dtype=str, keep_default_na=False)
    lines = pd.concat([a, b[~b.Invoice.isin(set(a.Invoice))]], ignore_index=True)
    code = lines.StockCode.str.upper()
    goods = code.str.match(r"^\d") | code.str.startswith("DCGS") | (code == "SP1002")
    lines = lines[goods].assign(
        sku=code, qty=lines.Quantity.astype(int), price=lines.Price.astype(float), day=lines.InvoiceDate.str[:10],
        region=lines.Country.map(lambda c: "UK" if c in ("United Kingdom", "Channel Islands") else "EU" if c in EU else "ROW"),
    )
    return lines[lines.price > 0]


def test_overlap_counted_once_against_pandas(slices):
    first, second = slices
    summary = import_files("online_retail", [first, second])
    lines = expected_lines(first, second)
    sales = lines[~lines.Invoice.str.startswith("C") & (lines.qty > 0)]
    returns = lines[lines.Invoice.str.startswith("C") & (lines.qty < 0)]
    totals = SalesDay.objects.aggregate(units=Sum("units"), returned=Sum("returned_units"))
    assert totals["units"] == sales.qty.sum()
    assert totals["returned"] == -returns.qty.sum()
    assert summary.skipped["line of an invoice already read from another file"] > 1000
    # Day by day and region by region too, not only the grand total.
    want = sales.groupby(["sku", "region", "day"]).qty.sum()
    got = {(d.product.sku, d.warehouse.code, d.date.isoformat()): d.units
           for d in SalesDay.objects.select_related("product", "warehouse").filter(units__gt=0)}
    assert got == want.to_dict()
    assert set(Warehouse.objects.values_list("code", flat=True)) == set(lines.region)


def test_cancellations_become_returns_not_demand(slices):
    first, second = slices
    import_files("online_retail", [first, second])
    lines = expected_lines(first, second)
    cancelled = lines[lines.Invoice.str.startswith("C")]
    assert len(cancelled) > 10
    sku, region, day = cancelled.iloc[0][["sku", "region", "day"]]
    same = lines[(lines.sku == sku) & (lines.region == region) & (lines.day == day)]
    row = SalesDay.objects.get(product__sku=sku, warehouse__code=region, date=day)
    assert row.returned_units == -same[same.Invoice.str.startswith("C")].qty.sum() > 0
    assert row.units == same[~same.Invoice.str.startswith("C")].qty.clip(lower=0).sum()
    assert not SalesDay.objects.filter(units__lt=0).exists()


def test_non_product_codes_are_kept_out(slices):
    first, second = slices
    summary = import_files("online_retail", [first, second])
    raw = pd.read_csv(first, dtype=str, keep_default_na=False)
    present = set(raw.StockCode) & {"POST", "DOT", "M", "D", "C2", "BANK CHARGES"}
    assert present, "the slice must contain fee codes for this test to mean anything"
    assert not Product.objects.filter(sku__in=present).exists()
    assert all(f"non-product code {code}" in summary.skipped for code in present)
    assert not Product.objects.filter(sku__regex=r"^(ADJUST|TEST|GIFT_)").exists()


def test_product_name_is_latest_description(data_dir, tmp_path):
    sheet = online_retail_sheet(data_dir, "year_2009_2010.csv.gz")
    # A code whose description changed over time: import its lines, oldest and newest.
    lines = sheet[(sheet.Price.astype(float) > 0) & ~sheet.Invoice.str.startswith("C") & (sheet.Description != "")]
    per_code = lines.groupby("StockCode").Description.nunique()
    code = per_code[per_code > 1].index[0]
    mine = lines[lines.StockCode == code].sort_values("InvoiceDate")
    path = tmp_path / "one_code.csv"
    mine.iloc[::-1].to_csv(path, index=False)  # newest first: order in the file must not matter
    import_files("online_retail", [path])
    assert Product.objects.get(sku=code.upper()).name == " ".join(mine.iloc[-1].Description.split())


def test_same_files_twice_change_nothing(slices):
    first, second = slices
    import_files("online_retail", [first, second])
    before = list(SalesDay.objects.order_by("id").values())
    names = list(Product.objects.order_by("id").values("sku", "name", "price", "updated_at"))
    again = import_files("online_retail", [first, second])
    assert (again.days_inserted, again.days_updated, again.products_created, again.products_updated) == (0, 0, 0, 0)
    assert again.days_unchanged == len(before)
    assert list(SalesDay.objects.order_by("id").values()) == before
    assert list(Product.objects.order_by("id").values("sku", "name", "price", "updated_at")) == names


def test_cleaned_sheet_alone_does_not_erase_returns(slices):
    first, second = slices
    import_files("online_retail", [first])
    returned = SalesDay.objects.aggregate(r=Sum("returned_units"))["r"]
    assert returned > 0
    summary = import_files("online_retail", [second])  # no cancellations in it at all
    assert SalesDay.objects.aggregate(r=Sum("returned_units"))["r"] == returned
    assert summary.days_inserted > 0  # 2010-12-01..05 are new


def test_workbook_with_two_sheets_matches_the_csv_sheets(slices, tmp_path):
    first, second = slices
    book = tmp_path / "online_retail_II.xlsx"
    with pd.ExcelWriter(book) as writer:
        for path, sheet in ((first, "Year 2009-2010"), (second, "Year 2010-2011")):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
            small = frame[frame.InvoiceDate.between("2010-12-06", "2010-12-06 12:00")].copy()
            small["Quantity"] = small.Quantity.astype(int)
            small["Price"] = small.Price.astype(float)
            small["InvoiceDate"] = pd.to_datetime(small.InvoiceDate)
            small.to_excel(writer, sheet_name=sheet, index=False)
            small.to_csv(tmp_path / f"{sheet}.csv", index=False)
    from_book = import_files("online_retail", [book], dry_run=True)
    from_csv = import_files("online_retail", [tmp_path / "Year 2009-2010.csv", tmp_path / "Year 2010-2011.csv"])
    assert from_book.days_inserted == from_csv.days_inserted > 0
    assert from_book.skipped == from_csv.skipped
    assert from_book.skipped["line of an invoice already read from another file"] > 0


def test_country_rule_is_configurable(slices, tmp_path, settings):
    first, _ = slices
    mapping = tmp_path / "countries.csv"
    mapping.write_text("country,warehouse\nGermany,DE\n*,WORLD\n")
    from inventory.ingest.base import ImportOptions

    import_files("online_retail", [first], options=ImportOptions(country_map=str(mapping)))
    assert {"UK", "DE", "WORLD"} <= set(Warehouse.objects.values_list("code", flat=True))
    assert not Warehouse.objects.filter(code="ROW").exists()
    settings.STOCKCAST_COUNTRY_WAREHOUSES = {"United Kingdom": "GB"}
    import_files("online_retail", [first], dry_run=True)  # the setting applies when no option is given
    summary = import_files("online_retail", [first])
    assert summary.warehouses_created >= 1 and Warehouse.objects.filter(code="GB").exists()
