"""Each adapter on a small slice of the real files: generic (CSV, CSV.gz, Parquet, XLSX), M5, wide."""
import pandas as pd
import pytest
from django.db.models import Sum

from inventory.import_models import CalendarEvent
from inventory.ingest.api import import_files
from inventory.ingest.base import ImportOptions
from inventory.models import Category, Product, SalesDay, Warehouse

from .test_ingest_support import m5_slice, pasta_slice

pytestmark = pytest.mark.django_db


def long_from_pasta(data_dir, tmp_path) -> pd.DataFrame:
    wide = pd.read_csv(pasta_slice(data_dir, tmp_path, days=40, skus=5))
    qty = wide.melt("DATE", [c for c in wide if c.startswith("QTY_")], "sku", "units")
    promo = wide.melt("DATE", [c for c in wide if c.startswith("PROMO_")], "sku", "promo")
    qty["sku"], promo["sku"] = qty.sku.str[4:], promo.sku.str[6:]
    frame = qty.merge(promo, on=["DATE", "sku"]).rename(columns={"DATE": "Day", "units": "Qty"})
    frame["store"] = "IT_1"
    frame["price"] = 1.25
    return frame


@pytest.mark.parametrize("suffix", ["csv", "csv.gz", "parquet", "xlsx"])
def test_generic_every_file_type_with_renamed_columns(data_dir, tmp_path, suffix):
    frame = long_from_pasta(data_dir, tmp_path)
    path = tmp_path / f"long.{suffix}"
    if suffix == "parquet":
        frame.to_parquet(path)
    elif suffix == "xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_csv(path, index=False)
    options = ImportOptions(columns={"date": "Day", "units": "Qty", "warehouse": "store", "on_promotion": "promo"})
    summary = import_files("generic", [path], options=options)
    assert summary.days_inserted == len(frame)
    assert SalesDay.objects.aggregate(u=Sum("units"))["u"] == frame.Qty.sum()
    assert SalesDay.objects.filter(on_promotion=True).count() == (frame.promo == 1).sum()
    day = SalesDay.objects.filter(units__gt=0).first()
    assert float(day.avg_price) == 1.25 and float(day.revenue) == pytest.approx(1.25 * day.units)
    assert list(Warehouse.objects.values_list("code", flat=True)) == ["IT_1"]


def test_generic_rows_of_one_day_add_up(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text("sku,warehouse,date,units,returned_units,name\nA,W,2024-01-01,2,,Old\nA,W,2024-01-01,3,1,\n"
                    "A,W,2024-01-02,1,0,New name\n")
    import_files("generic", [path])
    first = SalesDay.objects.get(date="2024-01-01")
    assert (first.units, first.returned_units) == (5, 1)
    assert Product.objects.get(sku="A").name == "New name"


def test_overlapping_newer_file_adds_only_what_is_new(tmp_path):
    days = pd.date_range("2024-01-01", periods=15).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"sku": "A", "warehouse": "W", "date": days, "units": range(15)})
    old, new = tmp_path / "old.csv", tmp_path / "new.csv"
    frame.iloc[:10].to_csv(old, index=False)
    frame.iloc[5:].to_csv(new, index=False)
    import_files("generic", [old])
    ids = dict(SalesDay.objects.values_list("date", "id"))
    summary = import_files("generic", [new])
    assert (summary.days_inserted, summary.days_updated, summary.days_unchanged) == (5, 0, 5)
    assert SalesDay.objects.count() == 15
    assert {d: i for d, i in SalesDay.objects.values_list("date", "id") if d in ids} == ids


def test_a_corrected_day_replaces_by_default_and_is_kept_with_skip(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("sku,warehouse,date,units\nA,W,2024-01-01,4\n")
    import_files("generic", [path])
    path.write_text("sku,warehouse,date,units\nA,W,2024-01-01,6\nA,W,2024-01-02,1\n")
    kept = import_files("generic", [path], options=ImportOptions(conflict="skip"))
    assert (kept.days_inserted, kept.days_updated) == (1, 0)
    assert SalesDay.objects.get(date="2024-01-01").units == 4
    replaced = import_files("generic", [path])
    assert (replaced.days_inserted, replaced.days_updated, replaced.days_unchanged) == (0, 1, 1)
    assert SalesDay.objects.get(date="2024-01-01").units == 6


def test_m5_slice(data_dir, tmp_path):
    folder = m5_slice(data_dir, tmp_path / "m5")
    summary = import_files("m5", [folder])
    sales = pd.read_csv(folder / "sales_train_validation.csv")
    days = [c for c in sales if c.startswith("d_")]
    assert SalesDay.objects.aggregate(u=Sum("units"))["u"] == sales[days].to_numpy().sum()
    assert set(Warehouse.objects.values_list("code", flat=True)) == set(sales.store_id)
    dept = Category.objects.get(code=sales.dept_id.iloc[0])
    assert dept.parent.code == sales.cat_id.iloc[0]
    assert Product.objects.get(sku=sales.item_id.iloc[0]).category == dept
    # Prices come from sell_prices (weekly) and days before the first listing are left out.
    prices = pd.read_csv(folder / "sell_prices.csv")
    calendar = pd.read_csv(folder / "calendar.csv")
    listed_series = prices.groupby(["store_id", "item_id"]).size()
    row = next(r for _, r in sales.iterrows() if (r.store_id, r.item_id) in listed_series.index)
    listed = prices[(prices.store_id == row.store_id) & (prices.item_id == row.item_id)]
    listed_days = calendar[calendar.wm_yr_wk.isin(listed.wm_yr_wk)]
    stored = SalesDay.objects.filter(product__sku=row.item_id, warehouse__code=row.store_id)
    sold_unlisted = sum(1 for d in days if row[d] > 0 and d not in set(listed_days.d))
    assert stored.count() == len(listed_days) + sold_unlisted
    week = listed.iloc[-1]
    day = calendar[calendar.wm_yr_wk == week.wm_yr_wk].date.iloc[0]
    assert float(stored.get(date=day).avg_price) == pytest.approx(week.sell_price)
    # Events for everyone, SNAP days per store of the state.
    assert CalendarEvent.objects.filter(warehouse__isnull=True).count() == calendar.event_name_1.notna().sum() + \
        calendar.event_name_2.notna().sum()
    assert CalendarEvent.objects.filter(name="SNAP", warehouse__code="CA_1").count() == calendar.snap_CA.sum()
    assert summary.calendar_events_created == CalendarEvent.objects.count()
    again = import_files("m5", [folder])
    assert (again.days_inserted, again.days_updated, again.calendar_events_created) == (0, 0, 0)


def test_wide_slice(data_dir, tmp_path):
    path = pasta_slice(data_dir, tmp_path, days=50, skus=6)
    summary = import_files("wide", [path], options=ImportOptions(default_warehouse="IT_1"))
    wide = pd.read_csv(path)
    qty = [c for c in wide if c.startswith("QTY_")]
    assert summary.days_inserted == 50 * 6  # every cell, zeros included
    assert SalesDay.objects.aggregate(u=Sum("units"))["u"] == wide[qty].to_numpy().sum()
    promo = wide[[c for c in wide if c.startswith("PROMO_")]].to_numpy().sum()
    assert SalesDay.objects.filter(on_promotion=True).count() == promo > 0
    sku = qty[0][4:]
    assert Product.objects.get(sku=sku).brand == sku.split("_")[0]


def test_m5_refuses_two_sales_files(data_dir, tmp_path):
    folder = m5_slice(data_dir, tmp_path / "m5", series=3, days=20)
    (folder / "sales_train_evaluation.csv").write_text((folder / "sales_train_validation.csv").read_text())
    with pytest.raises(ValueError, match="exactly one calendar.csv, one sell_prices.csv and one sales_train"):
        import_files("m5", [folder])
    assert not SalesDay.objects.exists()
