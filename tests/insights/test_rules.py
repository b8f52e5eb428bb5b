"""Each alert rule fires on a constructed case and stays quiet on its near miss (pure, no database)."""
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from insights.rules import (
    AnomalyInput, DriftInput, OverstockInput, StaleInput, StockoutInput,
    assess_anomaly, assess_drift, assess_overstock, assess_stale, assess_stockout,
)
from insights.rules.stockout import assess_stockouts
from insights.rules.base import DEFAULT_LEVELS, RuleInputError
from scipy.stats import norm


def normal_quantiles(mean, sd, days):
    row = np.clip(mean + sd * norm.ppf(DEFAULT_LEVELS), 0, None)
    return np.tile(row, (days, 1))


# --- stock-out ------------------------------------------------------------------------------

def stockout_case(available, on_order=0, lead=7, mean=10, sd=3):
    return StockoutInput(1, 1, available=available, on_order=on_order, lead_time_days=lead,
                         daily_quantiles=normal_quantiles(mean, sd, 28), unit_margin=2.0)


def test_stockout_fires_when_position_is_below_lead_time_demand():
    a = assess_stockout(stockout_case(available=40, on_order=10))  # 50 units vs ~70 expected over 7 days
    assert a.firing is True
    assert a.severity == "critical"
    assert a.evidence["probability"] > 0.9
    assert a.evidence["expected_margin_lost"] > 0


def test_stockout_near_miss_with_on_order_covering_demand():
    # the same stock plus enough on order: demand over 7 days ~ 70 +- ~12, position 110
    a = assess_stockout(stockout_case(available=40, on_order=70))
    assert a.firing is False
    assert a.evidence["probability"] < 0.2


def test_stockout_threshold_edge():
    x = stockout_case(available=70, lead=7)  # position = mean demand: probability about one half
    p = assess_stockout(x).evidence["probability"]
    assert 0.3 < p < 0.7
    assert assess_stockout(x, probability=p).firing is True
    assert assess_stockout(x, probability=min(p + 0.05, 1.0)).firing is False


def test_stockouts_of_many_subjects_equal_each_assessed_alone():
    # Mixed lead times (groups of several, and one alone), levels and thresholds: the batch shares
    # draws within a group, and every subject gets what assess_stockout with the same seed gives.
    cases = [StockoutInput(i, 1, available=30 + 5 * i, on_order=i % 3, lead_time_days=lead, lead_time_std_days=std,
                           daily_quantiles=normal_quantiles(8 + i, 2 + i % 4, 28), unit_margin=1.5)
             for i, (lead, std) in enumerate([(7, 0), (7, 0), (7, 0), (10, 2), (10, 2), (3, 0)])]
    limits = [0.1, 0.2, 0.3, 0.2, 0.5, 0.2]
    batch = assess_stockouts(cases, probability=limits, critical_margin=20.0, seed=11)
    for x, limit, got in zip(cases, limits, batch):
        alone = assess_stockout(x, probability=limit, critical_margin=20.0, seed=11)
        demand, demand_alone = got.evidence.pop("demand_over_lead_time"), alone.evidence.pop("demand_over_lead_time")
        assert demand == pytest.approx(demand_alone)
        assert got.evidence == pytest.approx(alone.evidence)
        assert (got.firing, got.severity, got.message) == (alone.firing, alone.severity, alone.message)
    assert len({round(a.evidence["probability"], 6) for a in batch}) > 3  # not one answer for all


def test_stockouts_refuse_a_threshold_list_of_the_wrong_length():
    with pytest.raises(RuleInputError, match="probability: 1 thresholds for 2 subjects"):
        assess_stockouts([stockout_case(40), stockout_case(50)], probability=[0.2])


def test_stockout_refuses_bad_quantiles():
    with pytest.raises(RuleInputError, match="daily_quantiles"):
        assess_stockout(StockoutInput(1, 1, 5, 0, 7, np.zeros((3, 4))))


# --- overstock ------------------------------------------------------------------------------

def test_overstock_by_days_of_cover():
    a = assess_overstock(OverstockInput(1, 1, on_hand=1000, daily_demand=np.full(28, 5.0), unit_cost=2.0),
                         max_days_cover=90)
    assert a.firing is True
    assert a.evidence["days_of_cover"] == pytest.approx(200, abs=1)
    assert a.evidence["excess_value"] == pytest.approx((1000 - 450) * 2.0)


def test_overstock_near_miss_just_under_cover_limit():
    a = assess_overstock(OverstockInput(1, 1, on_hand=445, daily_demand=np.full(28, 5.0), unit_cost=2.0),
                         max_days_cover=90)
    assert a.firing is False


def test_overstock_by_shelf_life_even_with_short_cover():
    # 60 days of cover is fine by the cover rule, but the product keeps only 30 days
    x = OverstockInput(1, 1, on_hand=300, daily_demand=np.full(28, 5.0), unit_cost=1.0, shelf_life_days=30)
    a = assess_overstock(x, max_days_cover=90)
    assert a.firing is True and a.evidence["expiring_units"] == pytest.approx(150)
    x.shelf_life_days = 61
    assert assess_overstock(x, max_days_cover=90).firing is False


# --- demand anomaly -------------------------------------------------------------------------

def history(days=60, level=20, spike_day=None, spike=80, promo_day=None, seed=0):
    rng = np.random.default_rng(seed)
    start = date(2026, 1, 1)
    rows = [{"date": start + timedelta(d), "units": int(rng.poisson(level)), "on_promotion": False}
            for d in range(days)]
    if spike_day is not None:
        rows[spike_day]["units"] = spike
    if promo_day is not None:
        rows[promo_day]["on_promotion"] = True
    return pd.DataFrame(rows)


def test_anomaly_spike_fires():
    h = history(spike_day=59)
    a = assess_anomaly(AnomalyInput(1, 1, h, [h["date"].iloc[-1]]))
    assert a.firing is True
    assert a.evidence["anomalies"][0]["direction"] == "spike"


def test_anomaly_near_miss_normal_day():
    h = history(spike_day=59, spike=30)  # +10 on a level of 20: z about 2
    assert assess_anomaly(AnomalyInput(1, 1, h, [h["date"].iloc[-1]])).firing is False


def test_anomaly_not_fired_on_known_promotion_day():
    h = history(spike_day=59, promo_day=59)
    a = assess_anomaly(AnomalyInput(1, 1, h, [h["date"].iloc[-1]]))
    assert a.firing is False
    assert a.evidence["explained"][0]["explained_by"] == "promotion"
    # told through the planned promotions instead of the sales flag: the same
    h2 = history(spike_day=59)
    a2 = assess_anomaly(AnomalyInput(1, 1, h2, [h2["date"].iloc[-1]], promotion_dates={h2["date"].iloc[-1]}))
    assert a2.firing is False and a2.evidence["explained"]


def test_anomaly_drop_on_empty_shelf_is_explained():
    h = history(spike_day=59, spike=0)
    h["in_stock"] = True
    h.loc[59, "in_stock"] = False
    assert assess_anomaly(AnomalyInput(1, 1, h, [h["date"].iloc[-1]])).firing is False
    h.loc[59, "in_stock"] = True
    assert assess_anomaly(AnomalyInput(1, 1, h, [h["date"].iloc[-1]])).firing is True


def test_anomaly_forecast_band():
    h = history()
    d = h["date"].iloc[-1]
    band = pd.DataFrame({"date": [d], "p01": [h["units"].iloc[-1] + 1.0], "p99": [100.0]})
    assert assess_anomaly(AnomalyInput(1, 1, h, [d], band=band)).firing is True
    band["p01"] = h["units"].iloc[-1] - 1.0
    assert assess_anomaly(AnomalyInput(1, 1, h, [d], band=band)).firing is False


# --- drift ----------------------------------------------------------------------------------

def test_drift_fires_holds_and_clears():
    assert assess_drift(DriftInput(0.40, 0.30, 14), margin=0.25).firing is True      # +33 %
    assert assess_drift(DriftInput(0.37, 0.30, 14), margin=0.25).firing is None      # +23 %: hold
    assert assess_drift(DriftInput(0.33, 0.30, 14), margin=0.25).firing is False     # +10 %: recovered
    assert assess_drift(DriftInput(0.90, 0.30, 3), margin=0.25).firing is None       # too few days


# --- stale ----------------------------------------------------------------------------------

def test_stale_fires_after_the_gap_and_not_before():
    today = date(2026, 3, 10)
    assert assess_stale(StaleInput(1, today - timedelta(3), today), max_gap_days=2).firing is True
    assert assess_stale(StaleInput(1, today - timedelta(2), today), max_gap_days=2).firing is False
    assert assess_stale(StaleInput(1, None, today)).firing is None


def test_anomaly_band_ignores_one_unit_over_a_tiny_band():
    h = history(level=1)
    d = h["date"].iloc[-1]
    h.loc[h.index[-1], "units"] = 3
    band = pd.DataFrame({"date": [d], "p01": [0.0], "p99": [2.0]})
    assert assess_anomaly(AnomalyInput(1, 1, h, [d], band=band)).firing is False
    h.loc[h.index[-1], "units"] = 9
    assert assess_anomaly(AnomalyInput(1, 1, h, [d], band=band)).firing is True
