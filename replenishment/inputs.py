"""What a reorder decision reads: the pairs to decide for (stock, open orders), their sales
history and current forecast quantiles, and the costs that weigh holding against shortage.

Units: demand and lead times in days; holding cost per unit per review period; shortage
cost per unit short.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from django.conf import settings
from django.db.models import F, Sum

from forecasting import selectors as fsel
from forecasting.ml.base import QUANTILE_NAMES, QUANTILES
from inventory.models import DEFAULT_LEAD_TIME_DAYS, Product, StockLevel, Warehouse
from inventory.purchasing.selectors import open_order_lines
from inventory.selectors import demand_history

from .models import ReorderPolicy
from .policies import critical_fractile

HISTORY_DAYS = 364
DEFAULT_REVIEW_DAYS = 7
ANNUAL_HOLDING_RATE = 0.25


@dataclass
class PairInput:
    product: Product
    warehouse: Warehouse
    policy: ReorderPolicy | None
    on_hand: int
    on_order: int
    arrivals: list = field(default_factory=list)     # [(expected date, units)]

    @property
    def key(self) -> tuple[int, int]:
        return self.product.pk, self.warehouse.pk

    @property
    def position(self) -> int:
        return self.on_hand + self.on_order

    @property
    def lead_days(self) -> float:
        supplier = self.product.supplier
        return float(supplier.lead_time_mean_days) if supplier else float(DEFAULT_LEAD_TIME_DAYS)

    @property
    def lead_std(self) -> float:
        supplier = self.product.supplier
        return float(supplier.lead_time_std_days) if supplier else 0.0


def pairs_per_warehouse() -> dict[int, int]:
    """How many pairs ``pairs()`` finds per warehouse id (stocked pairs and active policies' pairs)."""
    stocked = set(StockLevel.objects.filter(product__active=True, warehouse__active=True)
                  .values_list("product_id", "warehouse_id"))
    stocked |= set(ReorderPolicy.objects.filter(active=True).values_list("product_id", "warehouse_id"))
    counts: dict[int, int] = {}
    for _, warehouse_id in stocked:
        counts[warehouse_id] = counts.get(warehouse_id, 0) + 1
    return counts


def pairs(products=None, warehouses=None) -> list[PairInput]:
    """Every stocked product x warehouse plus every active policy's pair."""
    levels = StockLevel.objects.select_related("product__supplier", "warehouse").filter(
        product__active=True, warehouse__active=True)
    policies = ReorderPolicy.objects.select_related("product__supplier", "warehouse").filter(active=True)
    if products is not None:
        levels, policies = levels.filter(product__in=products), policies.filter(product__in=products)
    if warehouses is not None:
        levels, policies = levels.filter(warehouse__in=warehouses), policies.filter(warehouse__in=warehouses)
    found: dict[tuple[int, int], PairInput] = {}
    for lv in levels:
        found[(lv.product_id, lv.warehouse_id)] = PairInput(lv.product, lv.warehouse, None,
                                                            int(lv.on_hand - lv.reserved), 0)
    for pol in policies:
        key = (pol.product_id, pol.warehouse_id)
        if key not in found:
            found[key] = PairInput(pol.product, pol.warehouse, None, 0, 0)
        found[key].policy = pol
    lines = (open_order_lines().filter(product_id__in={k[0] for k in found},
                                       order__warehouse_id__in={k[1] for k in found})
             .values("product_id", "order__warehouse_id", "order__expected_date")
             .annotate(units=Sum(F("quantity_ordered") - F("quantity_received"))))
    for row in lines:
        key = (row["product_id"], row["order__warehouse_id"])
        if key in found:
            found[key].on_order += int(row["units"])
            found[key].arrivals.append((row["order__expected_date"], int(row["units"])))
    return list(found.values())


def history(pairs_, as_of: date) -> dict:
    """Daily units sold over the last year per pair (the inventory selector's stock-out rule)."""
    return demand_history([p.key for p in pairs_], as_of - timedelta(days=HISTORY_DAYS - 1), as_of)


@dataclass
class PairForecast:
    """The current run's daily forecast of one pair from the day after ``as_of``."""

    levels: np.ndarray          # (Q,) quantile levels
    quantiles: np.ndarray       # (T, Q)
    mean: np.ndarray            # (T,)
    demand_class: str
    calibration: dict | None    # the run's interval-sum calibration (forecasting/ml/sum_calibration.py)


def forecasts(pairs_, as_of: date):
    """The current forecast run and its forecast per pair from the day after ``as_of``."""
    run = fsel.current_run()
    if run is None:
        return None, {}
    calibration = (run.metrics or {}).get("decision_calibration")
    products = {p.product.pk for p in pairs_}
    rows = (fsel.current_forecasts(start=as_of + timedelta(days=1)).filter(product_id__in=products)
            .values_list("product_id", "warehouse_id", "date", "mean", "demand_class", *QUANTILE_NAMES))
    by_pair = defaultdict(list)
    for pid, wid, day, mean, cls, *qs in rows:
        by_pair[(pid, wid)].append((mean, cls, qs))
    levels = np.asarray(QUANTILES)
    return run, {k: PairForecast(levels, np.asarray([r[2] for r in v], float), np.asarray([r[0] for r in v], float),
                                 v[0][1] or "", calibration) for k, v in by_pair.items()}


@dataclass
class Costs:
    holding: float          # per unit per review period
    shortage: float         # per unit short
    service_level: float | None
    review_days: int
    ordering: float
    # True when the product has no unit cost and its policy no holding cost: nothing prices
    # holding, so the decision uses the stated default service level (see ``costs_for``).
    assumed: bool = False

    @property
    def fractile(self) -> float:
        return self.service_level if self.service_level is not None else critical_fractile(self.holding, self.shortage)


def default_service_level() -> float:
    return float(getattr(settings, "STOCKCAST_DEFAULT_SERVICE_LEVEL", 0.95))


def costs_for(product: Product, policy: ReorderPolicy | None) -> Costs:
    """Holding per unit per review period: the policy's, else 25 % a year of the unit cost.
    Shortage per unit lost: the policy's, else the margin (at least 10 % of the unit cost).

    Unknown costs never make a decision degenerate: with no unit cost and no holding cost on
    the policy, holding would be free and the critical fractile 1 (stock up to the top of the
    sample). Then the decision targets ``STOCKCAST_DEFAULT_SERVICE_LEVEL`` (0.95) instead,
    ``assumed`` says so (the explanation and the dashboard count such products), and the
    costs become the pair that fractile implies (holding 1, shortage sl / (1 - sl)).
    """
    review = policy.review_period_days if policy else DEFAULT_REVIEW_DAYS
    ordering = float(policy.ordering_cost) if policy else 0.0
    service = policy.service_level if policy else None
    unit = float(product.unit_cost)
    priced_holding = policy is not None and policy.holding_cost is not None
    if not priced_holding and unit <= 0:
        level = service if service is not None else default_service_level()
        return Costs(1.0, level / (1.0 - level), level, review, ordering, assumed=service is None)
    h = float(policy.holding_cost) if priced_holding else ANNUAL_HOLDING_RATE * unit * review / 365.0
    p = float(policy.shortage_cost) if policy and policy.shortage_cost is not None else \
        max(float(product.price) - unit, 0.1 * unit)
    if h <= 0 and p <= 0:
        h, p = 1.0, 4.0  # a policy pricing both at 0: an 80 % fractile rather than an undefined one
    return Costs(h, p, service, review, ordering)
