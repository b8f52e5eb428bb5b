"""The product's replay decides base-stock and the learned policy from the forecast that was in
force at each past decision, rebuilt from its run's model, never from a run whose data ended
after that day; decisions with none fall back to the sales history, and the run says how many."""
from datetime import date, timedelta

import numpy as np
import pytest
from django.db.models import F

from forecasting.in_force import forecasts_in_force
from forecasting.ml import sum_calibration
from forecasting.models import Forecast
from replenishment.replays import replay_history
from tests.factories import baseline_forecast_run, make_selling_shop

pytestmark = pytest.mark.django_db
AS_OF = date(2024, 6, 30)
PAIRS = 32          # a run calibrates its interval sums only with at least 30 cases per interval


@pytest.fixture
def shop():
    return make_selling_shop(PAIRS, AS_OF)


def _run(as_of, horizon=60):
    return baseline_forecast_run(as_of, horizon)


def test_base_stock_and_the_learned_policy_replay_the_forecast_in_force(shop):
    before = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    assert before.demand_sources == {"forecast": 0, "sales_history": PAIRS * 8, "runs": []}
    run = _run(AS_OF - timedelta(days=60))
    assert run.metrics["decision_calibration"]["intervals"]
    Forecast.objects.all().delete()     # retention's worst case: the rows are gone, the run and its model stay
    after = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    # the 8 decisions (the ends of the 8 weeks before AS_OF's week) all fall in the run's 60 days
    assert after.demand_sources == {"forecast": PAIRS * 8, "sales_history": 0, "runs": [run.pk]}
    assert after.totals["base_stock"] != before.totals["base_stock"]
    for method in ("base_stock_ma", "order_sold"):    # methods that never read a forecast
        assert after.totals[method] == before.totals[method]


def test_a_run_whose_data_ended_after_a_decision_is_never_used_for_it(shop):
    run = _run(AS_OF - timedelta(days=30))
    replay = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    # decisions at AS_OF - 56, -49, -42, -35 came before the run's data end; -28 .. -7 after it
    assert replay.demand_sources == {"forecast": PAIRS * 4, "sales_history": PAIRS * 4, "runs": [run.pk]}


def test_the_rebuilt_forecast_is_the_one_the_run_wrote(shop):
    run = _run(AS_OF - timedelta(days=40), horizon=14)
    keys = sorted(set(Forecast.objects.filter(run=run).values_list("product_id", "warehouse_id")))
    day = run.as_of + timedelta(days=3)
    rebuilt = forecasts_in_force(keys, [day, run.as_of - timedelta(days=1), run.as_of + timedelta(days=14)])
    f = rebuilt[day]
    assert f.run_id == run.pk
    for i, key in enumerate(keys):
        written = list(Forecast.objects.filter(run=run, product_id=key[0], warehouse_id=key[1])
                       .order_by("date").values_list("mean", flat=True))
        np.testing.assert_allclose(f.mean[i], written, rtol=1e-5)
        np.testing.assert_allclose(f.from_day(day)[i], written[3:], rtol=1e-5)
    # before its data end no run is in force; past its horizon its forecast has ended
    assert rebuilt[run.as_of - timedelta(days=1)] is None
    assert rebuilt[run.as_of + timedelta(days=14)] is None


def test_the_score_table_reads_each_pair_s_interval_and_class():
    cal = {"levels": [0.25, 0.5, 0.75], "intervals": {"7": {"*": [-1, 0, 1], "smooth": [-2, 0, 2]},
                                                       "14": {"*": [-3, 0, 3]}}}
    levels, table = sum_calibration.score_table(cal, [7, 7, 14, 8], ["smooth", "lumpy", "smooth", "smooth"])
    np.testing.assert_array_equal(levels, [0.25, 0.5, 0.75])
    np.testing.assert_array_equal(table, [[-2, 0, 2], [-1, 0, 1], [-3, 0, 3], [-2, 0, 2]])
    assert sum_calibration.score_table(None, [7], ["smooth"]) is None


def test_the_learned_policy_is_fed_the_forecast_in_force(shop, settings, tmp_path):
    from replenishment.learned import train_catalogue_policy
    settings.REPLENISHMENT_RL_POLICY = str(tmp_path / "rl.pt")
    train_catalogue_policy(as_of=AS_OF, states_per_item=60, fit_steps=100, log=lambda *a, **k: None)
    before = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    _run(AS_OF - timedelta(days=60))
    after = replay_history(periods=8, freq="W", as_of=AS_OF, apply=False)
    assert after.totals["rl"] != before.totals["rl"]


def test_the_learned_policy_trains_on_the_demand_it_will_be_fed(shop, settings, tmp_path):
    """Its training items span each pair's live demand statistics: the current forecast's where
    there is one. A forecast of 40 times the sales moves the items with it."""
    import torch

    from forecasting.models import Forecast
    from replenishment.learned import train_catalogue_policy
    settings.REPLENISHMENT_RL_POLICY = str(tmp_path / "rl.pt")
    quiet = {"states_per_item": 30, "fit_steps": 20, "log": lambda *a, **k: None}

    def item_means():
        return sorted(i["mean"] for i in torch.load(tmp_path / "rl.pt", weights_only=True)["meta"]["items"])

    train_catalogue_policy(as_of=AS_OF, **quiet)
    from_history = item_means()
    run = _run(AS_OF)
    Forecast.objects.filter(run=run).update(mean=F("mean") * 40)
    train_catalogue_policy(as_of=AS_OF, **quiet)
    from_forecast = item_means()
    assert 20 < np.median(from_forecast) / np.median(from_history) < 80


def test_a_pair_s_spread_is_read_from_the_days_up_to_the_decision_only():
    from replenishment.replay_demand import _spread_before

    daily = {(1, 1): np.array([0.0, 10.0, 0.0, 10.0, 5.0, 5.0, 5.0]), (2, 1): np.array([3.0, 1.0, 7.0, 2.0])}
    spread = _spread_before(daily, [(1, 1), (2, 1)], AS_OF, AS_OF - timedelta(days=5))
    # up to 5 days before AS_OF pair 1 had sold 0, 10; pair 2's record began after that day: no spread
    np.testing.assert_allclose(spread, [np.std([0, 10], ddof=1), 0.0])


def test_a_replayed_decision_mixes_its_demand_over_the_lead_time_s_spread(shop):
    """As a live decision draws a lead time per sample, a replayed one mixes the forecast's interval
    distribution over the lead time's spread: the same mean, a wider spread, a higher level at a
    high fractile; a pair with a certain lead time keeps the distribution it had."""
    from replenishment.replay_demand import decision_days, forecast_demand, interval_days

    run = _run(AS_OF - timedelta(days=60))
    keys = sorted(set(Forecast.objects.filter(run=run).values_list("product_id", "warehouse_id")))
    daily = {k: np.ones(300) * (1 + i % 5) for i, k in enumerate(keys)}
    days = decision_days(AS_OF, 7, 20, 11, 18)
    N = len(keys)
    std = np.where(np.arange(N) % 2 == 0, 7.0, 0.0)          # every other pair: a week's spread
    args = (keys, daily, AS_OF, 7, days, np.full(N, 3), np.full(N, 0.95))
    certain, spread = forecast_demand(*args), forecast_demand(*args, lead_std_days=std)
    assert certain.decided == spread.decided == N * len(days)
    odd = np.arange(N) % 2 == 1
    np.testing.assert_allclose(spread.level[odd], certain.level[odd])
    assert (spread.level[~odd] > certain.level[~odd]).all()
    assert (spread.cv[~odd] > certain.cv[~odd]).all()
    np.testing.assert_allclose(spread.mean[~odd], certain.mean[~odd], rtol=0.05)
    # the draws: symmetric about the interval, rounded to days, never shorter than the review period
    d = interval_days(np.array([21, 21, 7]), np.array([0.0, 7.0, 20.0]), 7)
    assert d.shape == (3, 21) and (d[0] == 21).all() and d[1].min() < 21 < d[1].max()
    assert abs(d[1].mean() - 21) < 0.5 and d[2].min() == 7
