"""UCI Online Retail II order lines -> daily demand per product x fulfilment warehouse.

Input: the two sheets of the UCI workbook, either as the original .xlsx (every sheet is read) or
as one CSV/CSV.gz/Parquet per sheet, columns `Invoice, StockCode, Description, Quantity,
InvoiceDate, Price, Customer ID, Country`.

Rules (each decided from the real data; counts are from the full two sheets):

- `Customer ID` is never read: the column is left out when the file is parsed, so no customer
  identifier reaches memory, the staging table or any stored row. Demand needs none of it.
- Stock codes are upper-cased (`85123a` and `85123A` are one product in the catalogue).
- Non-product codes (`public_data.online_retail`, the one list the benchmarks' loader uses too)
  are kept out of demand and counted per code in the skip report.
- Cancellations (invoice `C...`, negative quantity) become `returned_units` of that day, not
  negative demand. A `C` line with a positive quantity (one in the data) is skipped.
- Negative quantities outside a cancellation are stock adjustments (damaged, lost, found;
  all at price 0): skipped. Zero-price lines (free items, adjustments) are not sales: skipped.
  Negative prices occur only on the `B` bad-debt adjustments, already non-product.
- The sheets overlap (2010-12-01..2010-12-09 is in both). Invoices found in more than one file or
  sheet are de-duplicated line by line: for each line content (invoice, code, quantity, time,
  price, country) the count kept is the largest count in any one file, so a line that appears
  twice inside one invoice (it happens: real repeated scans) still counts twice, and an invoice
  present in both sheets counts once. Only those shared invoices are buffered (about 22,000
  lines), so memory does not grow with the file. Description is left out of the key because
  the cleaned sheet rewrote missing descriptions as `Missing_Description`.
- Each product's name is its most recent non-empty description (by invoice time).
- Revenue is quantity x price of the sales lines (gross, returns not subtracted); avg_price is
  revenue / units of the day.
- Countries map to warehouses by regions.py (default UK / EU / ROW).
- A file without a single cancellation (the cleaned 2010-2011 sheet) does not know returns:
  imported on its own after the 2009-2010 sheet, it updates the overlapping days' sales but
  leaves their stored returned_units alone (see SalesWriter.upsert). Importing both sheets in
  one run is still the recommended way: the line-level de-duplication then applies.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
from django.conf import settings

from public_data.online_retail import is_non_product

from . import parse
from .base import SKU_MAX, Adapter, summed
from .readers import sheet_names
from .regions import load_map, warehouse_name

COLUMNS = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Country"]
MISSING_DESCRIPTIONS = {"", "MISSING_DESCRIPTION", "?", "??", "???"}
DEDUPE_KEY = ["Invoice", "sku", "Quantity", "when", "Price", "Country"]


class OnlineRetailAdapter(Adapter):
    format = "online_retail"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country_map = load_map(
            self.options.country_map if self.options.country_map is not None
            else getattr(settings, "STOCKCAST_COUNTRY_WAREHOUSES", None)
        )
        self.tables = []
        for path in self.paths:
            if path.name.lower().endswith((".xlsx", ".xlsm")):
                self.tables += [self.table(path, sheet) for sheet in sheet_names(path, self.budget)]
            else:
                self.tables.append(self.table(path))
        self.duplicate_lines = 0

    def facts(self):
        usable = []
        for table in self.tables:
            missing = self.require_columns(table, COLUMNS)
            if missing:
                self._validate_rows_only(table, missing)
            else:
                usable.append(table)
        shared = self._shared_invoices(usable)
        overlap = []
        for number, table in enumerate(usable):
            for chunk in table.chunks(usecols=COLUMNS):
                self.rows_read += len(chunk.frame)
                lines = self._parse(chunk.frame, chunk.source)
                if lines.empty:
                    continue
                in_shared = lines["Invoice"].isin(shared)
                if in_shared.any():
                    overlap.append(lines[in_shared].assign(source=number))
                    lines = lines[~in_shared]
                facts = self._demand(lines)
                if not facts.empty:
                    yield facts
        if overlap:
            facts = self._demand(self._deduplicated(pd.concat(overlap, ignore_index=True)))
            if not facts.empty:
                yield facts

    # --- pass 1: which invoices are in more than one file ---------------------------------
    def _shared_invoices(self, tables) -> set[str]:
        if len(tables) < 2:
            return set()
        seen: dict[str, int] = {}
        shared: set[str] = set()
        for number, table in enumerate(tables):
            mine: set[str] = set()
            for chunk in table.chunks(usecols=["Invoice"]):
                mine.update(chunk.frame["Invoice"].str.strip().unique())
            for invoice in mine:
                if seen.setdefault(invoice, number) != number:
                    shared.add(invoice)
        return shared

    # --- pass 2 ----------------------------------------------------------------------------
    def _parse(self, raw: pd.DataFrame, source: str) -> pd.DataFrame:
        report = self.report
        invoice = parse.required_text(raw["Invoice"], report, source, "Invoice")
        sku = parse.per_unique(
            parse.required_text(raw["StockCode"], report, source, "StockCode", max_length=SKU_MAX), lambda u: u.str.upper()
        )
        quantity = parse.whole_numbers(raw["Quantity"], report, source, "Quantity")
        when = parse.timestamps(raw["InvoiceDate"], report, source, "InvoiceDate", self.options.date_format)
        price = parse.prices(raw["Price"], report, source, "Price")
        country = parse.per_unique(raw["Country"], lambda u: u.str.strip().replace("", "Unspecified"))
        warehouse = parse.per_unique(country, lambda u: u.map(self.country_map).fillna(self.country_map["*"]))
        bad_wh = self.check_warehouses(warehouse, source, "Country")
        lines = pd.DataFrame({
            "Invoice": invoice, "sku": sku, "Quantity": quantity, "when": when, "Price": price,
            "Country": country, "warehouse": warehouse, "Description": raw["Description"],
            "cancelled": parse.per_unique(invoice, lambda u: u.str.upper().str.startswith("C")).astype(bool),
        })
        valid = invoice.ne("") & sku.ne("") & (sku.str.len() <= SKU_MAX) & quantity.notna() & when.notna() & price.notna() & ~bad_wh
        return lines[valid]

    def _validate_rows_only(self, table, missing) -> None:
        """A file with a missing column is refused anyway; still report its bad rows in one go."""
        present = [c for c in COLUMNS if c not in missing]
        for chunk in table.chunks(usecols=present):
            self.rows_read += len(chunk.frame)
            raw = chunk.frame.assign(**{c: "0" if c in ("Quantity", "Price") else "x" for c in missing})
            if "InvoiceDate" in missing:
                raw["InvoiceDate"] = "2000-01-01"
            self._parse(raw, chunk.source)

    def _deduplicated(self, lines: pd.DataFrame) -> pd.DataFrame:
        """Each line content counted as often as in the one file that has it most often."""
        per_file = lines.groupby(DEDUPE_KEY + ["source"], sort=False).size()
        keep = per_file.groupby(level=DEDUPE_KEY, sort=False).max().rename("times")
        first = lines.sort_values("source", kind="stable").drop_duplicates(DEDUPE_KEY)
        first = first.merge(keep.reset_index(), on=DEDUPE_KEY, how="left")
        self.duplicate_lines += int(len(lines) - first["times"].sum())
        self.report.skip("line of an invoice already read from another file", len(lines) - int(first["times"].sum()))
        return first.loc[first.index.repeat(first["times"])].drop(columns=["times", "source"])

    def _demand(self, lines: pd.DataFrame) -> pd.DataFrame:
        skip = self.report.skip
        non_product = parse.per_unique(lines["sku"], is_non_product).astype(bool)
        for code, count in lines.loc[non_product, "sku"].value_counts().items():
            skip(f"non-product code {code}", count)
        lines = lines[~non_product]
        cancelled = lines["cancelled"]
        qty, price = lines["Quantity"], lines["Price"]
        rules = [
            (cancelled & (qty > 0), "cancellation line with a positive quantity"),
            (~cancelled & (qty < 0), "negative quantity outside a cancellation (stock adjustment)"),
            (qty == 0, "zero quantity"),
            (price == 0, "zero price (free item or stock adjustment)"),
            (price < 0, "negative price (accounting adjustment)"),
        ]
        dropped = pd.Series(False, index=lines.index)
        for mask, reason in rules:
            mask = mask & ~dropped
            skip(reason, int(mask.sum()))
            dropped |= mask
        lines = lines[~dropped]
        if lines.empty:
            return lines
        cancelled = lines["cancelled"]
        self.carries_returns = self.carries_returns or bool(cancelled.any())
        qty = lines["Quantity"].astype("int64")
        sold = ~cancelled
        frame = pd.DataFrame({
            "sku": lines["sku"], "warehouse": lines["warehouse"], "date": lines["when"].dt.normalize(),
            "units": qty.where(sold, 0), "returned": (-qty).where(cancelled, 0),
            "revenue": (qty * lines["Price"]).where(sold, 0.0), "price": np.nan, "promo": False, "in_stock": np.nan,
        })
        for code in lines["warehouse"].unique():
            self.catalogue.add_warehouse(code, warehouse_name(code))
        # Only each product's latest sale of the chunk can name it: normalise just those descriptions.
        has_name = parse.per_unique(
            lines["Description"], lambda u: ~u.str.strip().str.upper().isin(MISSING_DESCRIPTIONS)
        ).astype(bool)
        named = lines[sold & has_name].sort_values("when", kind="stable").drop_duplicates("sku", keep="last")
        self.catalogue.note_products(pd.DataFrame({
            "sku": named["sku"], "when": named["when"], "price": named["Price"],
            "name": named["Description"].str.strip().str.replace(r"\s+", " ", regex=True),
        }))
        # Products seen only in returns or without a description still need a catalogue entry.
        for sku in set(lines["sku"].unique()) - set(self.catalogue.products):
            self.catalogue.note_products(pd.DataFrame({"sku": [sku], "when": [pd.Timestamp.min], "name": [sku]}))
        return summed(frame)
