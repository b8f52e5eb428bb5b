"""What an import learns about products, categories and warehouses besides the daily facts.

Kept in memory for the whole import: one entry per product (about 5,000 for Online Retail,
3,049 for the full M5), never one per row. A product's name and price are those of its most
recent row in the data (by date and time), so a description that changed over the years ends as
the latest one, whatever the order of the files.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass
class ProductInfo:
    as_of: pd.Timestamp
    name: str
    price: float | None = None
    category: str | None = None  # Category.code
    brand: str = ""


class Catalogue:
    def __init__(self):
        self.products: dict[str, ProductInfo] = {}
        self.categories: dict[str, tuple[str, str | None]] = {}  # code -> (name, parent code)
        self.warehouses: dict[str, str] = {}  # code -> name

    def add_category(self, code: str, name: str, parent: str | None = None) -> None:
        self.categories.setdefault(code, (name, parent))

    def add_warehouse(self, code: str, name: str | None = None) -> None:
        self.warehouses.setdefault(code, name or code)

    def note_products(self, frame: pd.DataFrame) -> None:
        """frame: sku, when (timestamp), name, optional price/category/brand; keeps the latest per sku."""
        if frame.empty:
            return
        latest = frame.sort_values("when", kind="stable").drop_duplicates("sku", keep="last")
        has_price, has_cat, has_brand = "price" in latest, "category" in latest, "brand" in latest
        for row in latest.itertuples(index=False):
            known = self.products.get(row.sku)
            if known is not None and known.as_of > row.when:
                continue
            price = getattr(row, "price", None) if has_price else None
            self.products[row.sku] = ProductInfo(
                as_of=row.when,
                name=(row.name or (known.name if known else "") or row.sku)[:300],
                price=None if price is None or pd.isna(price) else float(price),
                category=(getattr(row, "category", None) or None) if has_cat else (known.category if known else None),
                brand=(getattr(row, "brand", "") or "") if has_brand else (known.brand if known else ""),
            )
