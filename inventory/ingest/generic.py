"""Generic long format: one row per sku x warehouse x date, from CSV, CSV.gz, Parquet or XLSX.

Columns (names configurable with ImportOptions.columns / `import_sales --column units=Qty`):

  required  sku, date, units, and warehouse (unless a default warehouse is given)
  optional  price (unit price; revenue = units x price), on_promotion (yes/no), in_stock
            (yes/no; empty = unknown), returned_units, name, category (a Category code)

Rules: units and returned_units are whole numbers >= 0 (a return is not a negative sale: it
goes in returned_units); price >= 0. Rows that share sku, warehouse and date add up, so a file of
order lines works as well as a file of daily totals. The product name is the one on the row with
the latest date; a product without a name is named after its sku.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import parse
from .base import SKU_MAX, WAREHOUSE_MAX, Adapter, summed

REQUIRED = ["sku", "warehouse", "date", "units"]
OPTIONAL = ["price", "on_promotion", "in_stock", "returned_units", "name", "category"]


class GenericAdapter(Adapter):
    format = "generic"

    def column(self, logical: str) -> str:
        return self.options.columns.get(logical, logical)

    def facts(self):
        unknown = set(self.options.columns) - set(REQUIRED + OPTIONAL)
        if unknown:
            raise ValueError(f"unknown column role(s) {sorted(unknown)}; roles are {REQUIRED + OPTIONAL}")
        for path in self.paths:
            table = self.table(path)
            required = [r for r in REQUIRED if not (r == "warehouse" and self.options.default_warehouse)]
            missing = self.require_columns(table, [self.column(r) for r in required])
            roles = [r for r in REQUIRED + OPTIONAL if self.column(r) in table.header]
            by_name = {self.column(r): r for r in roles}
            self.carries_returns = self.carries_returns or "returned_units" in roles
            for chunk in table.chunks(usecols=list(by_name)):
                self.rows_read += len(chunk.frame)
                facts = self._chunk(chunk.frame.rename(columns=by_name), chunk.source, by_name, missing)
                if facts is not None and not facts.empty:
                    yield facts

    def _chunk(self, raw: pd.DataFrame, source: str, by_name: dict, missing: list) -> pd.DataFrame | None:
        report, col = self.report, {role: name for name, role in by_name.items()}
        ok = pd.Series(True, index=raw.index)

        def present(role):
            return role in raw.columns

        sku = parse.required_text(raw["sku"], report, source, col["sku"], SKU_MAX) if present("sku") else None
        if present("warehouse"):
            warehouse = raw["warehouse"].str.strip()
            if self.options.default_warehouse:
                warehouse = warehouse.replace("", self.options.default_warehouse)
            warehouse = parse.required_text(warehouse, report, source, col["warehouse"], WAREHOUSE_MAX)
        else:
            warehouse = pd.Series(self.options.default_warehouse or "", index=raw.index)
        ok &= ~self.check_warehouses(warehouse, source, col.get("warehouse", "warehouse"))
        date = parse.dates(raw["date"], report, source, col["date"], self.options.date_format) if present("date") else None
        units = self._count(raw, "units", col, source) if present("units") else None
        returned = self._count(raw, "returned_units", col, source, required=False) if present("returned_units") else None
        price = None
        if present("price"):
            price = parse.prices(raw["price"], report, source, col["price"], required=False)
            negative = price < 0
            if negative.any():
                report.add_many(source, raw.index[negative], col["price"], raw["price"][negative].values, "negative price")
            price = price.where(~negative)
            ok &= price.notna() | raw["price"].str.strip().eq("")
        promo = parse.flags(raw["on_promotion"], report, source, col["on_promotion"]) if present("on_promotion") else None
        in_stock = parse.optional_flags(raw["in_stock"], report, source, col["in_stock"]) if present("in_stock") else None
        if missing or sku is None or date is None or units is None:
            return None  # the file is refused; its rows were validated for the report
        ok &= sku.ne("") & (sku.str.len() <= SKU_MAX) & warehouse.ne("") & (warehouse.str.len() <= WAREHOUSE_MAX)
        ok &= date.notna() & units.notna()
        if returned is not None:
            ok &= returned.notna() | raw["returned_units"].str.strip().eq("")
        if promo is not None:
            ok &= promo.notna()
        if in_stock is not None:
            ok &= in_stock.notna() | raw["in_stock"].str.strip().eq("")
        if not ok.all():
            sku, warehouse, date, units = sku[ok], warehouse[ok], date[ok], units[ok]
        index = sku.index
        unit_price = price[index] if price is not None else pd.Series(np.nan, index=index)
        frame = pd.DataFrame({
            "sku": sku, "warehouse": warehouse, "date": date, "units": units.astype("int64"),
            "returned": returned[index].fillna(0).astype("int64") if returned is not None else 0,
            "revenue": (units * unit_price).fillna(0.0), "price": unit_price,
            "promo": promo[index].astype(bool) if promo is not None else False,
            "in_stock": in_stock[index] if in_stock is not None else np.nan,
        })
        for code in warehouse.unique():
            self.catalogue.add_warehouse(code)
        info = pd.DataFrame({
            "sku": sku, "when": date,
            "name": raw["name"][index].str.strip() if present("name") else "",
            "price": unit_price,
        })
        if present("category"):
            info["category"] = raw["category"][index].str.strip()
            for code in info["category"].unique():
                if code:
                    self.catalogue.add_category(code[:100], code)
        self.catalogue.note_products(info)
        return summed(frame)

    def _count(self, raw, role, col, source, required=True) -> pd.Series:
        value = parse.whole_numbers(raw[role], self.report, source, col[role], required=required)
        negative = value < 0
        if negative.any():
            reason = ("negative units: a sale cannot be negative (put returns in returned_units)"
                      if role == "units" else "negative returned_units")
            self.report.add_many(source, raw.index[negative], col[role], raw[role][negative].values, reason)
        return value.where(~negative)
