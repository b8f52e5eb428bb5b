"""bench.scale's generated catalogue: seeded, in the M5 layout, made of the real slice's series,
and read by the product's own M5 import unchanged."""
import pandas as pd
import pytest

from bench.scale_catalogue import generate
from inventory.ingest.api import import_files
from inventory.models import Product, SalesDay, Warehouse


def _quiet(*_):
    pass


def test_same_seed_same_files_and_the_stated_shape(data_dir, tmp_path):
    a = generate(25, 60, tmp_path / "a", data_dir / "m5_tiny", seed=3, progress=_quiet)
    b = generate(25, 60, tmp_path / "b", data_dir / "m5_tiny", seed=3, progress=_quiet)
    for name in ("calendar.csv", "sell_prices.csv", "sales_train_validation.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    sales = pd.read_csv(a / "sales_train_validation.csv")
    days = [c for c in sales.columns if c.startswith("d_")]
    assert len(sales) == 25 and days[0] == "d_1854" and days[-1] == "d_1913"
    assert sales["item_id"].nunique() == 3  # ceil(25 / 10) items, each in up to 10 stores
    assert sorted(sales.groupby("item_id").size().tolist()) == [5, 10, 10]
    units = sales[days].to_numpy()
    assert (units >= 0).all() and units.dtype.kind == "i"
    # Thinned real M5 demand: the slice is about half zero days; thinning only adds zeros.
    real = pd.read_csv(data_dir / "m5_tiny" / "sales_train_validation.csv")
    assert (units == 0).mean() >= 0.9 * (real[days].to_numpy() == 0).mean()
    prices = pd.read_csv(a / "sell_prices.csv")
    assert set(prices["item_id"]) <= set(sales["item_id"]) and (prices["sell_price"] > 0).all()


@pytest.mark.django_db
def test_the_product_imports_it_unchanged(data_dir, tmp_path):
    folder = generate(12, 60, tmp_path, data_dir / "m5_tiny", seed=1, progress=_quiet)
    summary = import_files("m5", [folder])
    assert Product.objects.count() == 2 and Warehouse.objects.count() == 10
    assert summary.days_inserted == SalesDay.objects.count() > 0
    assert SalesDay.objects.values("product", "warehouse").distinct().count() <= 12
    again = import_files("m5", [folder])
    assert again.days_inserted == 0 and again.days_updated == 0
