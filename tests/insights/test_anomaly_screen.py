"""The anomaly screen (arrays of every series at once) says "outlier" exactly where the rule,
series by series, finds an outlier (explained or not): the check may then ask the rule only
about those, and about series with an open alert."""
from datetime import date, timedelta

import numpy as np
import pytest
import pandas as pd

from insights.rules.anomaly import AnomalyInput, assess_anomaly, screen_anomalies

START = date(2024, 3, 1)
REF, DAYS = 56, 7


def _series(rng):
    """One random series: a level, zero-heavy or not, a spike or a drop sometimes, promotions,
    events, a forecast band on some days, a late start sometimes (short history)."""
    level = rng.choice([0.2, 1.0, 5.0, 30.0])
    first = int(rng.choice([0, 0, 0, 30, 50, 58]))  # column of the first row (short history)
    units = rng.poisson(level, REF + DAYS).astype(float)
    if rng.random() < 0.4:
        units[REF + rng.integers(DAYS)] *= rng.choice([0.0, 4.0, 10.0])
    units[:first] = np.nan
    promo = rng.random(REF + DAYS) < 0.05
    events = rng.random(REF + DAYS) < 0.03
    banded = rng.random(DAYS) < (0.0 if rng.random() < 0.5 else 0.7)
    lo = np.where(banded, np.maximum(level - 3 * np.sqrt(level), 0), np.nan)
    hi = np.where(banded, level + 3 * np.sqrt(level) + 1, np.nan)
    return units, promo, events, lo, hi, float(rng.choice([3.0, 4.0]))


def _rule_outlier(units, promo, events, lo, hi, z) -> bool:
    days = [START - timedelta(REF) + timedelta(i) for i in range(REF + DAYS)]
    started = ~np.isnan(units)
    history = pd.DataFrame({"date": np.array(days)[started], "units": units[started],
                            "on_promotion": promo[started]})
    band_days = [START + timedelta(i) for i in range(DAYS) if not np.isnan(lo[i])]
    band = pd.DataFrame({"date": band_days, "p01": lo[~np.isnan(lo)], "p99": hi[~np.isnan(hi)]}) if band_days else None
    verdict = assess_anomaly(
        AnomalyInput(1, 1, history, [START + timedelta(i) for i in range(DAYS)], band=band,
                     event_dates={d for d, e in zip(days, events) if e}), z_threshold=z, reference_days=REF)
    return bool(verdict.evidence.get("anomalies") or verdict.evidence.get("explained"))


def test_the_screen_finds_exactly_the_rules_outliers():
    rng = np.random.default_rng(11)
    series = [_series(rng) for _ in range(600)]
    units = np.array([s[0] for s in series])
    left_out = np.array([s[1] | s[2] for s in series])
    reference = np.where(left_out, np.nan, units)[:, :REF]
    screened = screen_anomalies(units[:, REF:], reference, np.array([s[3] for s in series]),
                                np.array([s[4] for s in series]), np.array([s[5] for s in series]))
    expected = np.array([_rule_outlier(*s) for s in series])
    assert 30 < expected.sum() < 570  # the sample has both kinds, in number
    assert (screened == expected).all(), np.flatnonzero(screened != expected)[:10]


@pytest.mark.django_db
def test_the_check_raises_and_closes_the_same_alerts_as_asking_the_rule_about_every_series(monkeypatch):
    from insights import watch
    from insights.models import Alert
    from inventory.import_models import CalendarEvent
    from inventory.models import Promotion, SalesDay
    from tests.factories import make_product, make_warehouse

    today = date(2026, 5, 1)
    rng = np.random.default_rng(3)
    warehouses = [make_warehouse() for _ in range(2)]
    products = [make_product() for _ in range(20)]
    rows = []
    for p in products:
        for w in warehouses:
            level, start = rng.choice([0.5, 4.0, 20.0]), int(rng.choice([70, 70, 20]))
            for back in range(start, 0, -1):
                units = int(rng.poisson(level) * (rng.choice([1, 1, 1, 6]) if back <= 7 else 1))
                rows.append(SalesDay(product=p, warehouse=w, date=today - timedelta(days=back), units=units,
                                     on_promotion=bool(rng.random() < 0.03)))
    SalesDay.objects.bulk_create(rows)
    promo = Promotion.objects.create(name="May", start_date=today - timedelta(days=3), end_date=today)
    promo.products.add(*products[:5])
    promo.warehouses.add(warehouses[0])
    CalendarEvent.objects.create(date=today - timedelta(days=2), name="Fair", warehouse=warehouses[1])

    def alerts():
        return sorted(Alert.objects.filter(kind="demand_anomaly").values_list(
            "product_id", "warehouse_id", "status", "message"))

    def every_series(frame, pairs, *args):
        return set(pairs)

    screened = watch.check_anomalies(today)
    with_screen = alerts()
    Alert.objects.all().delete()
    monkeypatch.setattr(watch, "_anomaly_candidates", every_series)
    everyone = watch.check_anomalies(today)
    assert with_screen == alerts() and len(with_screen) > 0
    assert screened == everyone  # the screened-out series count as unchanged, as their verdicts did
    # With an alert open, a series the screen passes is still asked, and its alert closed.
    monkeypatch.undo()
    SalesDay.objects.filter(date__gte=today - timedelta(days=7)).update(units=0, on_promotion=False)
    SalesDay.objects.filter(date__lt=today - timedelta(days=7)).update(units=0, on_promotion=False)
    watch.check_anomalies(today)
    assert not Alert.objects.filter(kind="demand_anomaly", status__in=Alert.ACTIVE_STATUSES).exists()
