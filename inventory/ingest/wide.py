"""Wide daily tables: `DATE, QTY_<sku>..., PROMO_<sku>...` (the Italian pasta data set's layout).

One row per day, one QTY_ column per product and an optional PROMO_ column per product (1 on
days it was on promotion). Every cell becomes one SalesDay (zeros included: a wide table states
every day of every product, so a zero is a known zero). The table has no location: its rows go
to ImportOptions.default_warehouse, `MAIN` if unset. The product's brand is the part of its sku
before the first underscore (`B1_12` -> brand `B1`), as in the pasta data set. A PROMO_ column
without a matching QTY_ column is a problem (a typo in a header would otherwise silently drop
the promotion flags).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import parse
from .base import SKU_MAX, Adapter
from .writer import FACT_COLUMNS

DEFAULT_WAREHOUSE = "MAIN"


class WideAdapter(Adapter):
    format = "wide"

    def facts(self):
        warehouse = self.options.default_warehouse or DEFAULT_WAREHOUSE
        for path in self.paths:
            table = self.table(path)
            header = table.header
            date_col = next((c for c in header if c.upper() == "DATE"), None)
            if date_col is None:
                self.report.add(table.name, 1, "DATE", "", "required column is missing")
            qty = {c[4:]: c for c in header if c.upper().startswith("QTY_")}
            promo = {c[6:]: c for c in header if c.upper().startswith("PROMO_")}
            if not qty:
                self.report.add(table.name, 1, "QTY_<sku>", "", "no QTY_<sku> columns")
            for sku in sorted(set(promo) - set(qty)):
                self.report.add(table.name, 1, promo[sku], "", f"PROMO_ column without a QTY_{sku} column")
            for sku in qty:
                if len(sku) > SKU_MAX or not sku.strip():
                    self.report.add(table.name, 1, qty[sku], sku, f"sku empty or longer than {SKU_MAX} characters")
            if date_col is None or not qty:
                continue
            bad_wh = self.check_warehouses(pd.Series([warehouse]), table.name, "warehouse")
            if bad_wh.any():
                continue
            self.catalogue.add_warehouse(warehouse)
            skus = list(qty)
            table.chunk_rows = max(1, self.options.chunk_rows // max(1, len(skus)))
            for chunk in table.chunks():
                self.rows_read += len(chunk.frame)
                facts = self._chunk(chunk.frame, chunk.source, date_col, skus, qty, promo, warehouse)
                if facts is not None and not facts.empty:
                    yield facts

    def _chunk(self, raw, source, date_col, skus, qty, promo, warehouse):
        report = self.report
        day = parse.dates(raw[date_col], report, source, date_col, self.options.date_format)
        units = raw[[qty[s] for s in skus]].stack()
        value = pd.to_numeric(units.str.strip(), errors="coerce")
        bad = value.isna() | (value < 0) | (value != np.floor(value.fillna(0)))
        for (line, column), text in units[bad].items():
            report.add(source, line, column, text, "not a whole number of units >= 0")
        promo_cols = [promo.get(s) for s in skus]
        flags = np.zeros((len(raw), len(skus)), dtype=bool)
        for j, column in enumerate(promo_cols):
            if column is not None:
                parsed = parse.flags(raw[column], report, source, column)
                flags[:, j] = parsed.fillna(0).to_numpy() > 0
        if not report.ok:
            return None
        n = len(skus)
        frame = pd.DataFrame({
            "sku": np.tile(np.array(skus, dtype=object), len(raw)),
            "warehouse": warehouse,
            "date": np.repeat(day.to_numpy(), n),
            "units": value.to_numpy().astype("int64"),
            "returned": 0, "revenue": 0.0, "price": np.nan,
            "promo": flags.reshape(-1), "in_stock": np.nan,
        })
        last = day.max()
        self.catalogue.note_products(pd.DataFrame({
            "sku": skus, "when": [last] * n, "name": skus, "brand": [s.split("_")[0] if "_" in s else "" for s in skus],
        }))
        return frame[FACT_COLUMNS]
