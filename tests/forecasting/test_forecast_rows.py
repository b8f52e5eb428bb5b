"""A shard's rows as the model gave them: COPY on PostgreSQL, bulk_create elsewhere, the same rows."""
from datetime import date, timedelta

import numpy as np
import pytest

from forecasting.ml.base import QUANTILE_NAMES
from forecasting.models import Forecast, ForecastRun
from forecasting.rows import write_rows
from tests.factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("explained", [True, False])
def test_every_cell_is_written_as_given(explained):
    run = ForecastRun.objects.create(model_name="global_tide", horizon=3)
    products, warehouse = [make_product() for _ in range(2)], make_warehouse()
    keys = [(p.pk, warehouse.pk) for p in products]
    dates = [date(2025, 3, 1) + timedelta(days=i) for i in range(3)]
    rng = np.random.default_rng(0)
    mean = rng.gamma(2, 2, (2, 3))
    quantiles = np.sort(rng.gamma(2, 2, (2, 3, len(QUANTILE_NAMES))), axis=2)
    parts = rng.normal(size=(6, 2)).round(4) if explained else None
    assert write_rows(run.pk, 1, keys, dates, mean, quantiles, ["smooth", "lumpy"], parts, ("level", "promotion")) == 6
    rows = list(Forecast.objects.filter(run=run).order_by("product_id", "date"))
    assert len(rows) == 6
    for k, row in enumerate(rows):
        i, j = divmod(k, 3)
        assert (row.product_id, row.warehouse_id, row.date, row.shard) == (keys[i][0], warehouse.pk, dates[j], 1)
        assert row.demand_class == ["smooth", "lumpy"][i] and row.mean == pytest.approx(mean[i, j])
        assert [getattr(row, n) for n in QUANTILE_NAMES] == pytest.approx(list(quantiles[i, j]))
        assert row.explanation == (None if parts is None else {"level": parts[k, 0], "promotion": parts[k, 1]})
