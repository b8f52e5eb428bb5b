"""Products: a searchable, filterable list and one page per product."""
from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, render

from inventory.models import Category, Product, StockLevel, Warehouse
from inventory.selectors import products_sold_in

from . import demand, health
from .product_page import product_context

PAGE_SIZE = 50
RISK_CHOICES = [
    ("at_risk", "At risk of stockout"),
    ("stockouts", "Had stockouts (4 weeks)"),
    ("overstock", "Overstocked"),
    ("out_of_stock", "Out of stock now"),
]
SORT_CHOICES = [("sku", "SKU"), ("name", "Name"), ("-value", "Stock value (high first)"), ("cover", "Days of cover (low first)")]


def _category_and_descendants(category: Category) -> list[int]:
    ids, frontier = [category.pk], [category.pk]
    while frontier:
        frontier = list(Category.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


class ProductRow:
    """One product of the list with its stock and risk summed over the warehouses shown."""

    def __init__(self, product: Product):
        self.product = product
        self.series: list[health.SeriesHealth] = []
        self.demand_class: str | None = None

    @property
    def on_hand(self) -> int:
        return sum(s.level.on_hand for s in self.series)

    @property
    def on_order(self) -> int:
        return sum(s.level.on_order for s in self.series)

    @property
    def value(self):
        return sum((max(s.level.on_hand, 0) * self.product.unit_cost for s in self.series), start=health.Decimal("0"))

    @property
    def cover(self) -> float | None:
        covers = [s.days_of_cover for s in self.series if s.days_of_cover is not None]
        return min(covers) if covers else None

    @property
    def at_risk(self) -> list[str]:
        """Codes of the warehouses where this product is at risk (empty: nowhere)."""
        return [s.level.warehouse.code for s in self.series if s.at_risk]

    @property
    def overstock(self) -> list[str]:
        return [s.level.warehouse.code for s in self.series if s.overstock_units > 0]

    @property
    def stockout_days(self) -> int:
        return sum(s.stockout_days for s in self.series)

    @property
    def out_of_stock(self) -> bool:
        return bool(self.series) and all(s.level.on_hand <= 0 for s in self.series)

    def matches(self, risk: str) -> bool:
        return {
            "at_risk": bool(self.at_risk),
            "overstock": bool(self.overstock),
            "stockouts": self.stockout_days > 0,
            "out_of_stock": self.out_of_stock,
        }.get(risk, True)


def _sort_key(sort: str):
    return {
        "name": lambda r: r.product.name.lower(),
        "-value": lambda r: -r.value,
        "cover": lambda r: (r.cover is None, r.cover or 0),
    }.get(sort, lambda r: r.product.sku)


def product_list(request):
    params = request.GET
    q = params.get("q", "").strip()
    products = Product.objects.select_related("category", "supplier").filter(active=True)
    if q:
        products = products.filter(Q(sku__icontains=q) | Q(name__icontains=q) | Q(brand__icontains=q))
    category = Category.objects.filter(pk=params.get("category")).first() if params.get("category", "").isdigit() else None
    if category:
        products = products.filter(category_id__in=_category_and_descendants(category))
    warehouse = Warehouse.objects.filter(code=params.get("warehouse")).first() if params.get("warehouse") else None
    if warehouse:
        products = products.filter(
            Q(pk__in=StockLevel.objects.filter(warehouse=warehouse).values("product_id"))
            | Q(pk__in=products_sold_in(warehouse))
        )
    demand_class = params.get("demand_class", "")
    if demand_class in dict(demand.CLASS_CHOICES):
        classes = demand.demand_classes()
        products = products.filter(pk__in=[pk for pk, c in classes.items() if c == demand_class])
    risk = params.get("risk", "")
    sort = params.get("sort", "sku")

    needs_all_rows = risk in dict(RISK_CHOICES) or sort in ("-value", "cover")
    if needs_all_rows:
        rows = _rows(list(products), warehouse)
        rows = [r for r in rows if r.matches(risk)]
        rows.sort(key=_sort_key(sort))
        page = Paginator(rows, PAGE_SIZE).get_page(params.get("page"))
    else:
        products = products.order_by("name" if sort == "name" else "sku")
        page = Paginator(products, PAGE_SIZE).get_page(params.get("page"))
        page.object_list = _rows(list(page.object_list), warehouse)
    classes = demand.demand_classes_for([r.product.pk for r in page.object_list])
    for row in page.object_list:
        row.demand_class = classes.get(row.product.pk)
    context = {
        "page": page,
        "q": q,
        "categories": Category.objects.all(),
        "warehouses": Warehouse.objects.filter(active=True),
        "class_choices": demand.CLASS_CHOICES,
        "risk_choices": RISK_CHOICES,
        "sort_choices": SORT_CHOICES,
        "selected": {
            "category": category.pk if category else None,
            "warehouse": warehouse.code if warehouse else "",
            "demand_class": demand_class,
            "risk": risk,
            "sort": sort,
        },
        "filtered": any([q, category, warehouse, demand_class, risk]),
    }
    return render(request, "staff/product_list.html", context)


def _rows(products: list[Product], warehouse) -> list[ProductRow]:
    rows = {p.pk: ProductRow(p) for p in products}
    # A long id list is slower than reading every stock level once and dropping the rest.
    ids = list(rows) if len(rows) <= 500 else None
    for series in health.series_health(warehouse=warehouse, product_ids=ids):
        if series.level.product_id in rows:
            rows[series.level.product_id].series.append(series)
    return list(rows.values())


def product_detail(request, sku: str):
    product = get_object_or_404(Product.objects.select_related("category", "supplier"), sku=sku)
    return render(request, "staff/product_detail.html", product_context(request, product))
