"""Writing a shard's forecast rows: one row per series x day, from the model's arrays.

A shard of a whole catalogue is hundreds of thousands of rows (7,600 series x 28 days); built
as ORM objects with a dict of explanation parts each and inserted in batches it was minutes of
every shard. On PostgreSQL the columns go in with one COPY (inventory_site.pg_copy); other
databases take the same rows through bulk_create.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date

import numpy as np
import pyarrow as pa
from django.db import connection

from forecasting.ml.base import QUANTILE_NAMES
from inventory_site.pg_copy import copy_columns

from .models import Forecast

BATCH = 2000  # rows per bulk_create where there is no COPY


def write_rows(run_id: int, shard: int, keys: Sequence[tuple[int, int]], dates: Sequence[date], mean: np.ndarray,
               quantiles: np.ndarray, classes: Sequence[str], explanation: np.ndarray | None,
               components: Sequence[str]) -> int:
    """keys [n] (product id, warehouse id); dates [h]; mean [n, h]; quantiles [n, h, Q] over
    QUANTILE_NAMES; classes [n]; explanation [n * h, len(components)] or None. Returns rows written."""
    n, h = mean.shape
    if n == 0:
        return 0
    product = np.repeat(np.array([k[0] for k in keys], np.int64), h)
    warehouse = np.repeat(np.array([k[1] for k in keys], np.int64), h)
    days = np.tile(np.array(dates, dtype="datetime64[D]"), n)
    klass = np.repeat(np.array([str(c) for c in classes], dtype=object), h)
    parts = None if explanation is None else [dict(zip(components, map(float, row))) for row in explanation]
    q = quantiles.reshape(n * h, len(QUANTILE_NAMES)).astype(float)
    if connection.vendor == "postgresql":
        columns = {"run_id": pa.array(np.full(n * h, run_id, np.int64)), "product_id": pa.array(product),
                   "warehouse_id": pa.array(warehouse), "date": pa.array(days, pa.date32()),
                   "mean": pa.array(mean.reshape(-1).astype(float)), "demand_class": pa.array(klass, pa.string()),
                   "shard": pa.array(np.full(n * h, shard, np.int64)),
                   "explanation": pa.array([json.dumps(x) for x in parts] if parts is not None else [None] * (n * h),
                                           pa.string())}
        columns.update({name: pa.array(q[:, i]) for i, name in enumerate(QUANTILE_NAMES)})
        return copy_columns(Forecast._meta.db_table, columns)
    rows = [Forecast(run_id=run_id, product_id=int(product[k]), warehouse_id=int(warehouse[k]),
                     date=dates[k % h], mean=float(mean.flat[k]), demand_class=klass[k], shard=shard,
                     explanation=None if parts is None else parts[k],
                     **{name: float(q[k, i]) for i, name in enumerate(QUANTILE_NAMES)}) for k in range(n * h)]
    for lo in range(0, len(rows), BATCH):
        Forecast.objects.bulk_create(rows[lo:lo + BATCH])
    return len(rows)
