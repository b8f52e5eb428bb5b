"""Promotion planning: calibrated uplift, monotone in discount, clear refusals, review after the fact."""
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from insights.errors import PromotionInputError
from insights.promotions import planner
from insights.promotions.calibration import calibrated_model, discount_scale, product_effect
from insights.promotions.uplift import UpliftModel, find_episodes, product_mean_uplift
from inventory.models import Promotion, SalesDay, StockLevel
from tests.factories import make_category, make_product, make_supplier, make_warehouse

TODAY = date(2026, 6, 1)


# --- pure model -------------------------------------------------------------------------------

def synthetic_panel(n=12, t=400, uplift=2.5, seed=0):
    rng = np.random.default_rng(seed)
    promo = np.zeros((n, t))
    for i in range(n):
        for s in rng.choice(np.arange(40, t - 10, 15), size=8, replace=False):
            promo[i, s:s + rng.integers(2, 7)] = 1
    level = rng.uniform(2, 10, size=(n, 1))
    y = rng.poisson(level * np.where(promo > 0, uplift, 1.0)).astype(float)
    return y, promo, pd.date_range("2024-01-01", periods=t), np.array([f"s{i}" for i in range(n)], dtype=object), \
        np.array(["g0"] * (n // 2) + ["g1"] * (n - n // 2), dtype=object)


def test_uplift_model_recovers_a_known_uplift():
    ep = find_episodes(*synthetic_panel(uplift=2.5))
    model = UpliftModel().fit(ep)
    mult = np.exp(model.log_multiplier(ep))
    assert np.median(mult) == pytest.approx(2.5, rel=0.15)
    assert np.median(product_mean_uplift(ep, ep.tail(20))) == pytest.approx(2.5, rel=0.25)


def test_episode_baseline_excludes_promotion_days():
    y = np.array([[1.0] * 30 + [9, 9] + [1.0] * 5])
    promo = np.array([[0.0] * 30 + [1, 1] + [0.0] * 5])
    ep = find_episodes(y, promo, pd.date_range("2024-01-01", periods=37), ["a"], ["g"])
    assert len(ep) == 1
    assert ep.loc[0, "base_rate"] == 1.0 and ep.loc[0, "measured"] == 9.0 and ep.loc[0, "length"] == 2


def test_shipped_calibration_loads_and_lifts():
    model, meta = calibrated_model()
    assert meta["fitted_on_episodes"] > 1000 and "pasta_promo" in meta["source"]
    u, sd, n = product_effect(model, pd.DataFrame())
    assert (u, n) == (0.0, 0) and sd > 0
    assert discount_scale(0.0) == 0.0 and discount_scale(0.5) > discount_scale(0.25) == pytest.approx(1.0)


# --- planner (database) -------------------------------------------------------------------

@pytest.fixture
def shop(db):
    sup = make_supplier(lead_time_mean_days=Decimal("5"))
    cat = make_category()
    p = make_product(supplier=sup, category=cat, price=Decimal("4.00"), unit_cost=Decimal("2.00"), pack_size=6)
    make_product(category=cat)
    w = make_warehouse()
    rng = np.random.default_rng(1)
    rows = []
    for d in range(1, 200):
        day = TODAY - timedelta(days=d)
        promo = d % 30 < 3
        rows.append(SalesDay(product=p, warehouse=w, date=day, units=int(rng.poisson(24 if promo else 8)),
                             on_promotion=promo))
    SalesDay.objects.bulk_create(rows)
    StockLevel.objects.create(product=p, warehouse=w, on_hand=30)
    return p, w


def test_what_if_is_monotone_in_discount(shop):
    p, w = shop
    start, end = TODAY + timedelta(days=10), TODAY + timedelta(days=16)
    answers = [planner.what_if([p.pk], [w.pk], start, end, d, today=TODAY) for d in range(0, 91, 5)]
    for key in ("mean", "p10", "p50", "p90"):
        series = [a["lines"][0]["units_with"][key] for a in answers]
        assert all(b >= a for a, b in zip(series, series[1:])), (key, series)
    first, last = answers[0]["lines"][0], answers[-1]["lines"][0]
    assert first["units_with"]["mean"] == pytest.approx(first["units_without"]["mean"])  # 0 %: no uplift
    assert last["units_with"]["mean"] > 2 * last["units_without"]["mean"]
    assert first["method"] == "calibrated_uplift_on_baseline" and first["baseline_source"] == "history"


def test_what_if_money_and_order(shop):
    p, w = shop
    start, end = TODAY + timedelta(days=10), TODAY + timedelta(days=16)
    a = planner.what_if([p.sku], [w.code], start, end, 20, today=TODAY)
    line = a["lines"][0]
    assert line["revenue_with"] == pytest.approx(line["units_with"]["mean"] * 4.0 * 0.8, rel=1e-3)
    assert line["margin_with"] == pytest.approx(line["units_with"]["mean"] * (3.2 - 2.0), rel=1e-3)
    assert line["uplift"]["product_promotions_in_history"] >= 5
    # 30 on hand against ~16 days of demand (~8/day + promotion): an order, in whole packs, 5 days ahead
    assert line["order"]["quantity"] > 0 and line["order"]["quantity"] % 6 == 0
    assert line["order"]["order_by"] == (start - timedelta(days=5)).isoformat()
    assert not line["order"]["too_late"]


@pytest.mark.parametrize("kwargs, field", [
    ({"start_date": TODAY + timedelta(days=9), "end_date": TODAY + timedelta(days=3)}, "end_date"),
    ({"discount_pct": 95}, "discount_pct"),
    ({"discount_pct": -1}, "discount_pct"),
    ({"discount_pct": "ten"}, "discount_pct"),
    ({"products": [999999]}, "products"),
    ({"products": ["NO-SUCH-SKU"]}, "products"),
    ({"products": []}, "products"),
    ({"start_date": "2026-13-01"}, "start_date"),
    ({"start_date": TODAY - timedelta(days=1)}, "start_date"),
])
def test_what_if_refuses_bad_input_naming_the_field(shop, kwargs, field):
    p, w = shop
    args = {"products": [p.pk], "warehouses": [w.pk], "start_date": TODAY + timedelta(days=3),
            "end_date": TODAY + timedelta(days=9), "discount_pct": 20, **kwargs}
    with pytest.raises(PromotionInputError) as err:
        planner.what_if(args.pop("products"), args.pop("warehouses"), today=TODAY, **args)
    assert err.value.field == field
    assert field.split("_")[0] in str(err.value) or "product" in str(err.value)


def test_review_after_the_promotion(shop):
    p, w = shop
    promo = Promotion.objects.create(name="past", start_date=TODAY - timedelta(days=32),
                                     end_date=TODAY - timedelta(days=30), discount_pct=Decimal("25"))
    promo.products.add(p)
    promo.warehouses.add(w)
    r = planner.review(promo, today=TODAY)
    line = r["lines"][0]
    assert line["measured_uplift"] > 1.5 and line["predicted_uplift"] > 1.0
    assert line["actual_units"] == sum(SalesDay.objects.filter(
        product=p, date__gte=promo.start_date, date__lte=promo.end_date).values_list("units", flat=True))
    running = Promotion.objects.create(name="now", start_date=TODAY, end_date=TODAY + timedelta(days=2))
    with pytest.raises(PromotionInputError, match="after it ends"):
        planner.review(running, today=TODAY)
