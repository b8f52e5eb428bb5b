"""Loaders and the long frame -> panel conversion, on small files written here."""
import gzip

import numpy as np
import pandas as pd
import pytest

from forecasting.ml.data import (DataError, load_long_csv, load_m5, load_online_retail, load_pasta_promo,
                                 long_from_panel, panel_from_long, validate_long)


def test_panel_from_long_fills_gaps_with_zero_and_keeps_unstarted_nan():
    df = pd.DataFrame({"unique_id": ["a", "a", "b"], "ds": ["2024-01-01", "2024-01-04", "2024-01-03"],
                       "y": [2, 5, 1], "price": [1.0, 1.5, 3.0]})
    p = panel_from_long(df, pd.DataFrame({"unique_id": ["b"], "category": ["x"], "description": ["blue"]}))
    assert p.dates[0] == pd.Timestamp("2024-01-01") and p.n_days == 4
    np.testing.assert_array_equal(p.y[0], [2, 0, 0, 5])
    assert np.isnan(p.y[1, :2]).all() and p.y[1, 2] == 1
    assert list(p.category) == ["unknown", "x"] and p.description[1] == "blue"
    back = long_from_panel(p)
    assert len(back) == 4 + 2


@pytest.mark.parametrize("df,match", [
    (pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"]}), "missing column"),
    (pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"], "y": [-1]}), "negative demand"),
    (pd.DataFrame({"unique_id": ["a", "a"], "ds": ["2024-01-01"] * 2, "y": [1, 2]}), "duplicate"),
    (pd.DataFrame({"unique_id": ["a"], "ds": ["not a date"], "y": [1]}), "'ds'"),
    (pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"], "y": ["x"]}), "row 0"),
    (pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"], "y": [1], "price": [-2]}), "negative price"),
])
def test_bad_long_frames_are_named(df, match):
    with pytest.raises(DataError, match=match):
        validate_long(df)


def test_extend_carries_price_and_applies_planned_promotions():
    df = pd.DataFrame({"unique_id": ["a"] * 3, "ds": pd.date_range("2024-01-01", periods=3), "y": [1, 2, 3],
                       "price": [2.0, 2.0, 2.5]})
    p = panel_from_long(df)
    fut = pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-05"], "on_promotion": [1], "price": [2.0]})
    e = p.extend(3, fut)
    assert e.n_days == 6 and np.isnan(e.y[0, 3:]).all()
    np.testing.assert_allclose(e.price[0, 3:], [2.5, 2.0, 2.5])
    np.testing.assert_array_equal(e.promo[0, 3:], [0, 1, 0])


def test_weekly_frames_snap_to_week_starts():
    df = pd.DataFrame({"unique_id": ["a"] * 3, "ds": ["2024-01-03", "2024-01-05", "2024-01-10"], "y": [1, 2, 4]})
    p = panel_from_long(df, freq="W")
    assert p.freq == "W" and list(p.y[0]) == [3, 4] and p.dates[0].dayofweek == 0


def test_m5_layout(tmp_path):
    days = [f"d_{i}" for i in range(1, 6)]
    pd.DataFrame({"id": ["X_1_001_CA_1_validation"], "item_id": ["X_1_001"], "dept_id": ["X_1"], "cat_id": ["X"],
                  "store_id": ["CA_1"], "state_id": ["CA"], **{d: [v] for d, v in zip(days, [0, 0, 3, 0, 1])}}
                 ).to_csv(tmp_path / "sales_train_validation.csv", index=False)
    pd.DataFrame({"date": pd.date_range("2011-01-29", periods=5).strftime("%Y-%m-%d"), "wm_yr_wk": [1, 1, 1, 2, 2],
                  "weekday": ["x"] * 5, "wday": range(5), "month": [1] * 5, "year": [2011] * 5, "d": days,
                  "event_name_1": [None, "SuperBowl", None, None, None], "event_type_1": [None] * 5,
                  "event_name_2": [None] * 5, "event_type_2": [None] * 5,
                  "snap_CA": [1, 0, 0, 1, 0], "snap_TX": [0] * 5, "snap_WI": [0] * 5}).to_csv(tmp_path / "calendar.csv", index=False)
    pd.DataFrame({"store_id": ["CA_1"] * 2, "item_id": ["X_1_001"] * 2, "wm_yr_wk": [1, 2], "sell_price": [1.0, 1.2]}
                 ).to_csv(tmp_path / "sell_prices.csv", index=False)
    p = load_m5(tmp_path)
    assert np.isnan(p.y[0, :2]).all() and list(p.y[0, 2:]) == [3, 0, 1]  # before the first sale: unobserved
    np.testing.assert_allclose(p.price[0], [1, 1, 1, 1.2, 1.2])
    assert list(p.event[0]) == [0, 1, 0, 0, 0] and list(p.snap[0]) == [1, 0, 0, 1, 0]


def test_pasta_wide_layout(tmp_path):
    pd.DataFrame({"DATE": ["2014-01-02", "2014-01-03", "2014-01-05"], "QTY_B1_1": [0, 4, 2], "QTY_B2_1": [1, 0, 0],
                  "PROMO_B1_1": [0, 1, 0], "PROMO_B2_1": [0, 0, 0]}).to_csv(tmp_path / "hierarchical_sales_data.csv", index=False)
    p = load_pasta_promo(tmp_path)
    assert list(p.ids) == ["B1_1", "B2_1"] and p.n_days == 4  # the missing day (store closed) is on the grid
    assert np.isnan(p.y[0, 0]) and list(p.y[0, 1:]) == [4, 0, 2] and list(p.promo[0]) == [0, 1, 0, 0]
    assert list(p.category) == ["B1", "B2"]


def test_online_retail_cleaning(tmp_path):
    rows = [
        ("536365", "85123A", "WHITE HEART HOLDER", 6, "2010-12-01 08:26:00", 2.55, 1.0, "United Kingdom"),
        ("536365", "85123A", "WHITE HEART HOLDER", 6, "2010-12-01 08:26:00", 2.55, 1.0, "United Kingdom"),  # other sheet
        ("C536379", "85123A", "WHITE HEART HOLDER", -2, "2010-12-02 09:41:00", 2.55, 1.0, "United Kingdom"),
        ("536370", "POST", "POSTAGE", 3, "2010-12-01 08:45:00", 18.0, 2.0, "France"),
        ("536371", "85123A", "WHITE HEART HOLDER", 4, "2010-12-09 10:00:00", 2.40, 3.0, "France"),
        ("536372", "85123A", "WHITE HEART HOLDER", 1, "2010-12-10 10:00:00", 0.0, 3.0, "France"),   # zero price
        ("536373", "22633", "HAND WARMER", 10, "2010-12-16 10:00:00", 2.1, 3.0, "United Kingdom"),
        ("536374", "22633", "HAND WARMER", 1, "2010-12-24 10:00:00", 2.1, 3.0, "United Kingdom"),  # last, partial week
    ]
    cols = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
    with gzip.open(tmp_path / "a.csv.gz", "wt") as f:
        pd.DataFrame(rows[:3], columns=cols).to_csv(f, index=False)
    with gzip.open(tmp_path / "b.csv.gz", "wt") as f:
        pd.DataFrame(rows[1:], columns=cols).to_csv(f, index=False)
    p = load_online_retail(tmp_path, min_weeks=1)
    assert list(p.ids) == ["22633", "85123A"] and p.freq == "W"
    heart = list(p.ids).index("85123A")
    assert np.nansum(p.y[heart]) == 6 + 4       # duplicate counted once, cancellation/zero price dropped
    uk = load_online_retail(tmp_path, min_weeks=1, countries="uk")
    assert np.nansum(uk.y[list(uk.ids).index("85123A")]) == 6
    # by day: the same clean-up, one column per calendar day, the last (partial) day dropped
    days = load_online_retail(tmp_path, min_weeks=1, freq="D")
    assert days.freq == "D" and str(days.dates[-1].date()) == "2010-12-16"
    assert np.nansum(days.y[list(days.ids).index("85123A")]) == 6 + 4
    assert np.nansum(days.y[list(days.ids).index("22633")]) == 10
    with pytest.raises(ValueError, match="freq"):
        load_online_retail(tmp_path, freq="M")


def test_generic_long_csv(tmp_path):
    pd.DataFrame({"unique_id": ["a", "a", "b"], "ds": ["2024-01-01", "2024-01-02", "2024-01-02"], "y": [1, 2, 3],
                  "category": ["c1", "c1", "c2"], "description": ["red", "red", "blue"], "on_promotion": [0, 1, 0]}
                 ).to_csv(tmp_path / "s.csv", index=False)
    p = load_long_csv(tmp_path / "s.csv")
    assert list(p.category) == ["c1", "c2"] and p.promo[0, 1] == 1


def test_out_of_stock_days_are_unobserved_not_zero_demand(tmp_path):
    """A day recorded out of stock sold what the shelf held, not what customers wanted: it
    leaves the demand history (NaN) whatever it sold; unrecorded days keep their sales."""
    pd.DataFrame({"unique_id": ["a"] * 5, "ds": pd.date_range("2024-01-01", periods=5).astype(str),
                  "y": [3, 1, 0, 2, 4], "in_stock": ["yes", "no", "", "true", "0"]}).to_csv(tmp_path / "s.csv", index=False)
    p = load_long_csv(tmp_path / "s.csv")
    np.testing.assert_array_equal(np.isnan(p.y[0]), [False, True, False, False, True])
    assert p.y[0, 0] == 3 and p.y[0, 2] == 0 and p.extra["stockout_periods"] == 2
    # weekly: a week with one empty-shelf day is not a full week of demand
    days = pd.date_range("2024-01-01", periods=14)
    weekly = panel_from_long(pd.DataFrame({"unique_id": "a", "ds": days, "y": 1.0,
                                           "in_stock": [True] * 7 + [True, False] + [True] * 5}), freq="W")
    assert weekly.y[0, 0] == 7 and np.isnan(weekly.y[0, 1])


@pytest.mark.parametrize("value", ["maybe", 2])
def test_a_bad_in_stock_value_names_the_row(value):
    df = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=3), "y": 1.0,
                       "in_stock": [1, value, 1] if value == 2 else ["yes", value, "no"]})
    with pytest.raises(DataError, match=r"'in_stock' row 1: .* is not yes/no"):
        panel_from_long(df)
