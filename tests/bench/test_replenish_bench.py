"""bench.replenish end to end on a small generated file: every policy row, the cost-tuned
forecast row a candidate of ``selected`` (``selected_without_tuned`` without it), nothing dropped."""
import json

import pytest

from bench import replenish
from forecasting.ml.data import long_from_panel
from forecasting.pretrain import synthetic

pytestmark = pytest.mark.slow


def _replay(tmp_path, *options, products=12, weeks=40, seed=5, seconds="2") -> dict:
    """bench.replenish on a generated weekly shop (lead time 1, 4 evaluation and 12 selection
    weeks, a tiny learned policy); the JSON it wrote."""
    shop = long_from_panel(synthetic.generate(products, 7 * weeks, seed=seed))
    sales = tmp_path / "sales.csv"
    shop[["unique_id", "ds", "y"]].fillna({"y": 0}).to_csv(sales, index=False)
    out = tmp_path / "replenish.json"
    replenish.main(["--sales", str(sales), "--freq", "W", "--lead-time", "1", "--periods", "4",
                    "--select-periods", "12", "--forecast-seconds", seconds, "--rl-states", "40", "--rl-rollouts", "4",
                    "--rl-fit-steps", "20", *options, "--json", str(out)])
    return json.loads(out.read_text())


def test_a_small_weekly_file_gets_every_row_and_the_tuned_row_is_a_candidate_of_selected(tmp_path):
    doc = _replay(tmp_path)     # 12 products, 40 weeks of days
    rows, meta = doc["policies"], doc["meta"]
    assert {"selected", "selected_unguarded", "selected_without_tuned", "base_stock_forecast_tuned", "base_stock_forecast",
            "base_stock_moving_avg", "order_what_sold", "rl", "rl_moving_avg"} <= set(rows)
    # the learned policy fed the moving average is a row, not a method the product runs
    assert "rl_moving_avg" not in meta["selection"]["pairs"]
    # the evaluation's last decision was calibrated on the cases known by then (12 selection periods)
    assert meta["calibration_window"] == 12
    assert meta["calibration_last"]["cases"]["*"] > 0
    assert meta["series"] == 12 and meta["dropped"] == 0
    # the cost-tuned factor is the product's base_stock_tuned, so a candidate; selected_without_tuned
    # never picks it, and the in-band variant is no product method
    assert "base_stock_forecast_tuned" not in meta["selection_without_tuned"]["pairs"]
    assert sum(meta["selection"]["pairs"].values()) == sum(meta["selection_without_tuned"]["pairs"].values()) == 12
    assert sum(meta["selection_unguarded"]["pairs"].values()) == 12
    for how in ("selection", "selection_unguarded", "selection_without_tuned"):
        assert "base_stock_forecast_tuned_in_band" not in meta[how]["pairs"]
    # the evaluation is decided by a forecaster retrained before the origin; the first one's
    # evaluation decisions stay as their own row
    assert meta["forecast_refit"] is True and "base_stock_forecast_before_refit" in rows
    assert "base_stock_forecast_before_refit" in meta["coverage"]
    fc = meta["coverage"]["base_stock_forecast"]
    assert sum(fc["cases_by_class"].values()) == fc["cases"]
    if "no_demand" not in fc["cases_by_class"]:
        assert fc["selling"] == fc["all"]
    # the hindsight level bound: the cheapest of the sweep's levels whose coverage is in the band
    band = [r["total"] for r in meta["level_sweep"]
            if r["coverage"] is not None and abs(r["coverage"] - meta["fractile"]) <= 0.03]
    if band:
        assert rows["hindsight_forecast_in_band"]["total_cost"] == pytest.approx(min(band), abs=0.01)
    factors = meta["tuned"]["factors"]
    assert "*" in factors and all(-1.5 <= k <= 3.0 for k in factors.values())
    # the tuned row is the selection window's argmin, not the evaluation's: its cost is whatever
    # the evaluation makes of it, and the totals add up
    for name in ("selected", "base_stock_forecast_tuned"):
        r = rows[name]
        assert r["total_cost"] == pytest.approx(r["holding_cost"] + r["shortage_cost"])


def test_the_forecaster_can_start_from_the_pretrained_checkpoint_as_the_product_does(tmp_path):
    """--pretrained: the forecaster is fine-tuned from the weekly checkpoint (horizon 8) and the
    protection interval (lead time 1 + 1 review) reads its first two weeks; the output says so
    and the model did not fall back to empirical quantiles."""
    from forecasting.pretrain import shipped_checkpoint

    meta = _replay(tmp_path, "--pretrained", str(shipped_checkpoint("W")), seconds="5")["meta"]
    assert meta["forecast_source"] == "forecasting.ml.GlobalForecaster"
    assert "fine-tuned from the checkpoint" in meta["forecast_note"]
    assert meta["coverage"]["base_stock_forecast"]["cases"] > 0


def test_without_refit_the_first_forecaster_decides_the_evaluation_and_no_before_refit_row(tmp_path):
    doc = _replay(tmp_path, "--refit", "off", "--calibration-window", "0", products=8, weeks=36, seed=3)
    assert doc["meta"]["forecast_refit"] is False
    assert "base_stock_forecast_before_refit" not in doc["policies"]
    # window 0: every evaluation decision keeps the origin's calibration
    meta = doc["meta"]
    assert meta["calibration_last"]["levels"] == meta["calibration"]["levels"]
    assert meta["calibration_last"]["offsets"] == meta["conformal"]["offsets"]


def test_a_decision_calibrates_only_on_outcomes_known_when_it_is_taken():
    cols = range(10, 40)         # decisions at the end of periods 10..39; the origin is the end of 29
    for c in range(29, 40):
        known = replenish.known_decisions(c, cols, 29, 3, 8)
        assert known and all(k + 3 <= c for k in known)      # its interval has ended by period c
        assert len(known) == 8 and known[-1] == c - 3        # the newest 8 of them
    # window 0: the origin's cases for every later decision
    assert replenish.known_decisions(37, cols, 29, 3, 0) == tuple(range(10, 27))


def test_retrained_every_four_weeks_the_fits_are_those_of_the_schedule(tmp_path):
    meta = _replay(tmp_path, "--refit-every", "4", products=8, weeks=36, seed=3)["meta"]
    first = meta["forecast_fits"][0]       # 12 selection + 4 evaluation weeks: the evaluation starts at first + 12
    assert meta["forecast_fits"] == [first, first + 4, first + 8, first + 12]
    assert meta["forecast_refit"] is True and meta["coverage"]["base_stock_forecast"]["cases"] > 0


def test_the_forecaster_in_force_at_a_decision_never_saw_what_came_after_it():
    # selection from period 20, evaluation from 36, 44 periods: retrained every 4 periods
    ends = replenish.fit_schedule(20, 36, 44, 4)
    assert ends == [20, 24, 28, 32, 36, 40]
    for c in range(19, 43):                      # decisions at the end of periods 19..42
        e = replenish.fit_in_force(ends, c)
        assert e <= c + 1                        # trained on periods before the decision's next one
        assert not [k for k in ends if e < k <= c + 1]      # and the newest such fit
    # 0: the first fit, then once at the evaluation's origin (the default)
    assert replenish.fit_schedule(20, 36, 44, 0) == [20, 36]
    assert replenish.fit_in_force([20, 36], 34) == 20 and replenish.fit_in_force([20, 36], 35) == 36
