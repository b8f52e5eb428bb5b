"""Stock health of every product x warehouse, from stock, open orders and recent sales.

These are the figures behind the dashboard and the products list's risk filter. The demand
rate is the mean daily units sold over the last WINDOW_DAYS days of recorded sales (the window
ends on the latest sales date in the database, so a historical data set still gives a
meaningful picture). Definitions, so that every page agrees:

- fill rate: units sold / (units sold + units lost), where units lost on a day marked out of
  stock (SalesDay.in_stock is False) are estimated by the series' mean on its in-stock days;
  only days whose in-stock flag is known count (data without flags has no fill rate);
- stockout days: product x warehouse days marked out of stock in the window;
- at risk: the inventory position (available + on order) covers less than the supplier's
  mean lead time at the current demand rate, i.e. a stockout is expected before an order
  placed today could arrive;
- overstock: units beyond OVERSTOCK_DAYS of demand at the current rate, valued at unit cost
  (all of the stock when nothing sold in the window).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
from django.db.models import DecimalField, ExpressionWrapper, F, Sum

from inventory.models import DEFAULT_LEAD_TIME_DAYS, Product, StockLevel, Warehouse
from inventory.purchasing.selectors import open_order_lines
from inventory.selectors import last_sales_day, stock_out_summary

WINDOW_DAYS = 28
WINDOW_CACHE_NAME = "window-sales"  # staff.figure_cache: sales_by_series() of the whole catalogue
OVERSTOCK_DAYS = 90


@dataclass(frozen=True)
class Window:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def sales_window(days: int = WINDOW_DAYS) -> Window | None:
    """The last `days` days of recorded sales, or None when there are no sales at all."""
    latest = last_sales_day()
    if latest is None:
        return None
    return Window(start=latest - timedelta(days=days - 1), end=latest)


def _lead_time(supplier_mean_days) -> float:
    """The supplier's mean lead time, or the default for a product without one."""
    return float(supplier_mean_days) if supplier_mean_days is not None else DEFAULT_LEAD_TIME_DAYS


# The two rules, on one pair or on arrays of every pair (the dashboard's whole catalogue).
def at_risk_rule(position, daily_rate, lead_time_days):
    """The position covers less than the lead time at the current rate (never when nothing sells)."""
    position, daily_rate = np.asarray(position, float), np.asarray(daily_rate, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = position / daily_rate
    return (daily_rate > 0) & (cover < lead_time_days)


def overstock_rule(on_hand, daily_rate):
    """Whole units on hand beyond OVERSTOCK_DAYS of demand at the current rate."""
    return np.maximum(np.trunc(np.asarray(on_hand, float) - np.asarray(daily_rate, float) * OVERSTOCK_DAYS), 0)


@dataclass
class SeriesHealth:
    level: "LevelRow"
    units_sold: int
    stockout_days: int
    lost_units: float
    lead_time_days: float

    @property
    def daily_rate(self) -> float:
        return self.units_sold / WINDOW_DAYS

    @property
    def position(self) -> int:
        return self.level.available_units + self.level.on_order

    @property
    def days_of_cover(self) -> float | None:
        return None if self.daily_rate <= 0 else self.position / self.daily_rate

    @property
    def at_risk(self) -> bool:
        return bool(at_risk_rule(self.position, self.daily_rate, self.lead_time_days))

    @property
    def overstock_units(self) -> int:
        return int(overstock_rule(self.level.on_hand, self.daily_rate))

    @property
    def overstock_value(self) -> Decimal:
        return self.overstock_units * self.level.product.unit_cost


def sales_by_series() -> dict[tuple[int, int], dict]:
    """Units, in-stock units and stockout days per product x warehouse over the window."""
    window = sales_window()
    return _sales_by_series(window) if window else {}


def _sales_by_series(window: Window, warehouse=None, product_ids=None) -> dict[tuple[int, int], dict]:
    return stock_out_summary(window.start, window.end, warehouse=warehouse, product_ids=product_ids)


def _on_order_by_series(warehouse=None, product_ids=None) -> dict[tuple[int, int], int]:
    lines = open_order_lines()
    if warehouse is not None:
        lines = lines.filter(order__warehouse=warehouse)
    if product_ids is not None:
        lines = lines.filter(product_id__in=product_ids)
    rows = lines.values("product_id", "order__warehouse_id").annotate(
        outstanding=Sum(F("quantity_ordered") - F("quantity_received"))
    )
    return {(r["product_id"], r["order__warehouse_id"]): int(r["outstanding"] or 0) for r in rows}


@dataclass
class LevelRow:
    """The parts of a StockLevel the pages read, built from plain rows (model instances for
    every level cost ~0.1 ms each, which adds up to seconds on a full catalogue)."""

    product_id: int
    warehouse_id: int
    on_hand: int
    reserved: int
    on_order: int
    product: SimpleNamespace
    warehouse: SimpleNamespace

    @property
    def available_units(self) -> int:
        return self.on_hand - self.reserved


def series_health(warehouse=None, product=None, product_ids=None, sales=None) -> list[SeriesHealth]:
    """Health of every stock level (optionally of one warehouse, product or set of products).

    `sales` is the result of sales_by_series() when the caller already has it (the dashboard).
    """
    window = sales_window()
    levels = StockLevel.objects.all()
    if warehouse is not None:
        levels = levels.filter(warehouse=warehouse)
    if product is not None:
        product_ids = [product.pk]
    if product_ids is not None:
        levels = levels.filter(product_id__in=product_ids)
    rows = list(levels.order_by("warehouse_id", "product_id").values_list("product_id", "warehouse_id", "on_hand", "reserved"))
    if not rows:
        return []
    products = Product.objects.all() if product_ids is None else Product.objects.filter(pk__in=product_ids)
    products = {
        pk: SimpleNamespace(pk=pk, sku=sku, name=name, unit_cost=cost,
                            lead_time=_lead_time(lead))
        for pk, sku, name, cost, lead in products.values_list(
            "pk", "sku", "name", "unit_cost", "supplier__lead_time_mean_days")
    }
    warehouses = {pk: SimpleNamespace(pk=pk, code=code, name=name)
                  for pk, code, name in Warehouse.objects.values_list("pk", "code", "name")}
    if sales is None:
        sales = _sales_by_series(window, warehouse, product_ids) if window else {}
    on_order = _on_order_by_series(warehouse, product_ids)
    result = []
    for product_id, warehouse_id, on_hand, reserved in rows:
        key = (product_id, warehouse_id)
        level = LevelRow(product_id, warehouse_id, on_hand, reserved, on_order.get(key, 0),
                         products[product_id], warehouses[warehouse_id])
        row = sales.get(key)
        lost = 0.0
        if row and row["stockout_days"] and row["days_in_stock"]:
            lost = row["stockout_days"] * (row["units_in_stock"] or 0) / row["days_in_stock"]
        result.append(
            SeriesHealth(
                level=level,
                units_sold=int(row["units_total"] or 0) if row else 0,
                stockout_days=int(row["stockout_days"]) if row else 0,
                lost_units=lost,
                lead_time_days=level.product.lead_time,
            )
        )
    return result


@dataclass(frozen=True)
class RiskFigures:
    at_risk_products: int
    at_risk_series: int
    overstock_value: Decimal


def catalogue_risk(sales: dict) -> RiskFigures:
    """At-risk and overstock figures of every stock level at once, on arrays (building a
    SeriesHealth per pair costs seconds at 30 k pairs). ``sales``: sales_by_series()."""
    rows = list(StockLevel.objects.values_list("product_id", "warehouse_id", "on_hand", "reserved",
                                               "product__unit_cost", "product__supplier__lead_time_mean_days"))
    if not rows:
        return RiskFigures(0, 0, Decimal("0"))
    on_order = _on_order_by_series()
    keys = [(p, w) for p, w, *_ in rows]
    on_hand = np.array([r[2] for r in rows], float)
    position = on_hand - np.array([r[3] for r in rows], float) + np.array([on_order.get(k, 0) for k in keys], float)
    sold = np.array([int((sales.get(k) or {}).get("units_total") or 0) for k in keys], float)
    rate = sold / WINDOW_DAYS
    lead = np.array([_lead_time(r[5]) for r in rows])
    risky = at_risk_rule(position, rate, lead)
    over = overstock_rule(on_hand, rate)
    value = sum((int(over[i]) * rows[i][4] for i in np.flatnonzero(over > 0)), start=Decimal("0"))
    return RiskFigures(len({keys[i][0] for i in np.flatnonzero(risky)}), int(risky.sum()), value)


@dataclass(frozen=True)
class ServiceFigures:
    window: Window | None
    units_sold: int
    lost_units: float
    stockout_days: int
    series_with_stockouts: int
    units_flagged: int = 0  # units sold on days whose in-stock flag is known
    days_total: int = 0
    days_flagged: int = 0

    @property
    def fill_rate(self) -> float | None:
        """Over the days with an in-stock flag only: without flags a stockout cannot be seen,
        and calling that 100 % would be a guess."""
        if not self.days_flagged:
            return None
        demand = self.units_flagged + self.lost_units
        return None if demand <= 0 else self.units_flagged / demand

    @property
    def flag_share(self) -> float | None:
        return self.days_flagged / self.days_total if self.days_total else None


def service_figures(sales: dict | None = None) -> ServiceFigures:
    """Fill rate and stockout days over the window, over every series that sold in it.

    Computed from SalesDay alone (not from stock levels) so that history imported without a
    stock record still counts.
    """
    window = sales_window()
    if window is None:
        return ServiceFigures(None, 0, 0.0, 0, 0)
    sold = lost = 0.0
    stockout_days = series = units_flagged = days_total = days_flagged = 0
    if sales is None:
        sales = _sales_by_series(window)
    for row in sales.values():
        sold += row["units_total"] or 0
        units_flagged += row["units_flagged"] or 0
        days_total += row["days_total"]
        days_flagged += row["days_flagged"]
        stockout_days += row["stockout_days"]
        if row["stockout_days"]:
            series += 1
            if row["days_in_stock"]:
                lost += row["stockout_days"] * (row["units_in_stock"] or 0) / row["days_in_stock"]
    return ServiceFigures(window, int(sold), lost, stockout_days, series, int(units_flagged), days_total, days_flagged)


def stock_value() -> Decimal:
    """Value at unit cost of all positive stock (one aggregate: a row each was 80 ms at 30 k pairs)."""
    money = DecimalField(max_digits=24, decimal_places=4)
    total = StockLevel.objects.filter(on_hand__gt=0).aggregate(
        v=Sum(ExpressionWrapper(F("on_hand") * F("product__unit_cost"), output_field=money)))["v"]
    return total if total is not None else Decimal("0")
