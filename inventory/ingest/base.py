"""What every format adapter shares: the options, the fact frame it yields, column checks.

An adapter reads one format and yields *facts*: pandas frames with the columns of
writer.FACT_COLUMNS, one row per product x warehouse x day of its chunk (already summed within the
chunk), and fills a Catalogue with the products, categories and warehouses it met. It reports
every bad row into the shared Report and keeps on reading, so that one run lists them all; the
pipeline writes nothing when the report holds any problem.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .catalogue import Catalogue
from .limits import ReadBudget, ReadLimits
from .readers import CHUNK_ROWS, Table
from .report import Report
from .writer import FACT_COLUMNS

SKU_MAX = 64  # Product.sku
WAREHOUSE_MAX = 32  # Warehouse.code


@dataclass
class ImportOptions:
    conflict: str = "replace"  # see writer.py: replace a stored day's figures, or skip stored days
    auto_create_warehouses: bool = True
    chunk_rows: int = CHUNK_ROWS
    # generic: logical name -> column name in the file (sku, warehouse, date, units, price,
    # on_promotion, in_stock, returned_units, name, category); unspecified ones keep their names
    columns: dict[str, str] = field(default_factory=dict)
    date_format: str | None = None  # strftime format; None = ISO 8601
    default_warehouse: str | None = None  # generic/wide/m5: warehouse when the file has none
    country_map: dict[str, str] | None = None  # online_retail: country -> warehouse code ("*" = default)
    known_warehouses: frozenset[str] = frozenset()  # filled by the pipeline when auto-create is off
    limits: ReadLimits | None = None  # None: the pipeline sets the configured ones (settings)
    reread: bool = False  # read the files even when the same ones are stored unchanged (loads.py)


class Adapter:
    format: str = ""

    def __init__(self, paths: Sequence[Path | str], options: ImportOptions, report: Report, catalogue: Catalogue):
        if not paths:
            raise ValueError(f"{self.format}: give at least one file")
        self.paths = [Path(p) for p in paths]
        for path in self.paths:
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no such file")
        self.options = options
        self.budget = ReadBudget(options.limits)  # one for all the files of the import
        self.report = report
        self.catalogue = catalogue
        self.rows_read = 0
        # Does the source know about returns at all? (see SalesWriter.upsert)
        self.carries_returns = False
        # Does each product x warehouse x day come at most once in all the facts, so that the
        # writer need not sum them? Set by an adapter that can tell, once its facts are read.
        self.unique_facts = False

    def facts(self) -> Iterator[pd.DataFrame]:
        raise NotImplementedError

    def table(self, path: Path, sheet: str | None = None) -> Table:
        return Table(path, sheet=sheet, chunk_rows=self.options.chunk_rows, budget=self.budget)

    def require_columns(self, table: Table, required: Sequence[str]) -> list[str]:
        """Report each missing required column (line 1) and return the names that are missing."""
        present = set(table.header)
        missing = [c for c in required if c not in present]
        for column in missing:
            self.report.add(table.name, 1, column, "", f"required column is missing (columns found: {', '.join(table.header)[:300]})")
        return missing

    def check_warehouses(self, codes: pd.Series, source: str, column: str) -> pd.Series:
        """With auto-create off, a code that is not already a Warehouse is a problem. Returns the bad mask."""
        if self.options.auto_create_warehouses:
            return pd.Series(False, index=codes.index)
        bad = ~codes.isin(self.options.known_warehouses) & codes.ne("")
        if bad.any():
            self.report.add_many(source, codes.index[bad], column, codes[bad].values,
                                 "unknown warehouse (automatic creation is off)")
        return bad


def summed(frame: pd.DataFrame) -> pd.DataFrame:
    """Sum a chunk to one row per sku x warehouse x date (the writer sums across chunks)."""
    for col, default in (("returned", 0), ("revenue", 0.0), ("price", np.nan), ("promo", False), ("in_stock", np.nan)):
        if col not in frame:
            frame[col] = default
    out = frame.groupby(["sku", "warehouse", "date"], sort=False, dropna=False).agg(
        units=("units", "sum"), returned=("returned", "sum"), revenue=("revenue", "sum"),
        price=("price", "max"), promo=("promo", "max"), in_stock=("in_stock", "min"),
    )
    return out.reset_index()[FACT_COLUMNS]
