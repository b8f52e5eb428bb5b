"""Recommendations: substitutes never out of stock, push needs rising demand and stock, clear finds a discount."""
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest

from insights import recommendations as rec
from insights.errors import RecommendationInputError
from inventory.models import SalesDay, StockLevel
from tests.factories import make_category, make_product, make_warehouse

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


def fake_embed(texts):
    """Bag of words over a tiny vocabulary: enough to rank 'pasta' texts together."""
    vocab = ["pasta", "spaghetti", "penne", "wheat", "soap", "lemon", "500g"]
    return np.array([[t.lower().count(w) for w in vocab] for t in texts], float) + 1e-3


@pytest.fixture
def pasta_shelf():
    cat, other_cat = make_category(), make_category()
    w = make_warehouse()
    target = make_product(name="Spaghetti durum wheat pasta 500g", category=cat, price=Decimal("2.00"))
    twin_out = make_product(name="Spaghetti wheat pasta 500g", category=cat, price=Decimal("2.00"))
    penne = make_product(name="Penne wheat pasta 500g", category=cat, price=Decimal("2.10"))
    soap = make_product(name="Lemon soap", category=cat, price=Decimal("2.00"))
    pricey = make_product(name="Spaghetti wheat pasta 500g premium", category=cat, price=Decimal("9.00"))
    elsewhere = make_product(name="Spaghetti durum wheat pasta 500g", category=other_cat, price=Decimal("2.00"))
    StockLevel.objects.create(product=target, warehouse=w, on_hand=0)
    StockLevel.objects.create(product=twin_out, warehouse=w, on_hand=5, reserved=5)  # nothing available
    for p in (penne, soap, pricey, elsewhere):
        StockLevel.objects.create(product=p, warehouse=w, on_hand=20)
    return target, w, {"twin_out": twin_out, "penne": penne, "soap": soap, "pricey": pricey, "elsewhere": elsewhere}


def test_substitutes_are_in_stock_same_category_and_ranked(pasta_shelf):
    target, w, p = pasta_shelf
    subs = rec.substitutes(target, w, embed=fake_embed)
    skus = [s["product"] for s in subs]
    assert p["twin_out"].sku not in skus          # the closest text, but nothing available: never offered
    assert p["elsewhere"].sku not in skus         # other category
    assert skus[0] == p["penne"].sku              # similar text and price
    assert skus.index(p["pricey"].sku) > 0 and skus[-1] == p["soap"].sku
    assert all(s["available"] >= 1 for s in subs) and all(s["why"] for s in subs)
    # asking for more than one unit available drops products below that
    StockLevel.objects.filter(product=p["penne"]).update(reserved=19)
    assert p["penne"].sku not in [s["product"] for s in rec.substitutes(target, w, min_available=2, embed=fake_embed)]


@pytest.mark.slow
def test_substitutes_with_the_real_text_encoder(pasta_shelf):
    target, w, p = pasta_shelf
    subs = rec.substitutes(target, w, price_weight=0.0)
    skus = [s["product"] for s in subs]
    assert skus.index(p["penne"].sku) < skus.index(p["soap"].sku)
    assert p["twin_out"].sku not in skus


def test_substitutes_unknown_product():
    with pytest.raises(RecommendationInputError) as err:
        rec.substitutes("NOPE", make_warehouse(), embed=fake_embed)
    assert err.value.field == "product"


def _sales(p, w, per_day_by_age):
    SalesDay.objects.bulk_create([SalesDay(product=p, warehouse=w, date=TODAY - timedelta(days=age), units=u)
                                  for age, u in per_day_by_age.items()])


def test_push_rising_product_with_stock_only():
    w = make_warehouse()
    rising, rising_no_stock, flat = make_product(), make_product(), make_product()
    for p in (rising, rising_no_stock):
        _sales(p, w, {age: (10 if age <= 28 else 5) for age in range(1, 85)})
    _sales(flat, w, {age: 10 for age in range(1, 85)})
    StockLevel.objects.create(product=rising, warehouse=w, on_hand=1000)
    StockLevel.objects.create(product=rising_no_stock, warehouse=w, on_hand=20)
    StockLevel.objects.create(product=flat, warehouse=w, on_hand=1000)
    push = rec.products_to_push(today=TODAY)
    assert [r["product"] for r in push] == [rising.sku]
    assert push[0]["growth"] == pytest.approx(1.0) and "100%" in push[0]["why"]


def test_clear_overstock_with_smallest_clearing_discount():
    w = make_warehouse()
    slow = make_product(unit_cost=Decimal("1.00"))
    fine = make_product()
    for p in (slow, fine):
        _sales(p, w, {age: 4 for age in range(1, 60)})
    StockLevel.objects.create(product=slow, warehouse=w, on_hand=420)   # 105 days of cover
    StockLevel.objects.create(product=fine, warehouse=w, on_hand=100)   # 25 days
    rows = rec.products_to_clear(today=TODAY, target_date=TODAY + timedelta(days=28))
    assert [r["product"] for r in rows] == [slow.sku]
    row = rows[0]
    assert row["excess_units"] == pytest.approx(420 - 4 * 90)
    assert 5 <= row["discount_pct"] <= 90 and row["why"]
    assert row["action"] in ("promote", "mark down")
    # the smallest clearing discount: 5 points less would not sell the excess
    from insights.promotions.calibration import calibrated_model
    from insights.promotions.planner import plan_pair
    from insights.sources import HistoryQuantileSource

    q = HistoryQuantileSource().daily_quantiles({(slow.pk, w.pk)}, TODAY, 29)[(slow.pk, w.pk)]
    plan = plan_pair(calibrated_model()[0], slow, w, [slow], TODAY, TODAY + timedelta(days=27), TODAY, q)
    base = np.median(plan.during)
    d = row["discount_pct"]
    assert np.median(plan.units_with(d / 100)) - base >= row["excess_units"]
    assert d == 5 or np.median(plan.units_with((d - 5) / 100)) - base < row["excess_units"]
    with pytest.raises(RecommendationInputError):
        rec.products_to_clear(today=TODAY, target_date=TODAY)
