"""The replay benchmark's timing convention (documented in bench/replenish.py)."""
import numpy as np

from bench.replenish import past_stats, replay


def test_order_placed_at_end_of_period_arrives_at_start_of_t_plus_L_plus_1():
    L = 2
    y = np.array([[0, 0, 0, 0, 5, 5, 5, 5]], float)    # evaluate the last 4 periods
    T0 = 4
    placed = {}

    def decide(col, on_hand, pipe, sold):
        placed[col] = pipe.copy()
        return np.array([10.0]) if col == T0 else np.array([0.0])

    r = replay("t", y, T0, 4, L, 1.0, 3.0, np.array([0.0]), np.zeros((1, L)), decide)
    # period 0..2 of the evaluation: nothing on hand, 5 lost each; the order of period 0
    # arrives at the start of period 3 and serves its 5 units, leaving 5 (holding 5)
    assert r["per_period"] == [15.0, 15.0, 15.0, 5.0]
    assert r["holding_cost"] == 5.0 and r["shortage_cost"] == 45.0
    np.testing.assert_array_equal(placed[T0 + 1], [[0, 10]])   # 2 periods out after one shift
    np.testing.assert_array_equal(placed[T0 + 2], [[10, 0]])


def test_in_transit_k_arrives_at_start_of_period_k():
    y = np.array([[4, 4, 4]], float)
    r = replay("t", y, 0, 3, 2, 1.0, 1.0, np.array([0.0]), np.array([[4.0, 4.0]]),
               lambda *a: np.array([0.0]))
    # in_transit_1 serves period 1, in_transit_2 period 2; period 3 has nothing and loses 4
    assert r["per_period"] == [0.0, 0.0, 4.0]
    assert r["holding_cost"] == 0.0


def test_past_stats_skip_censored_periods():
    y = np.array([[10, 0, 10, 10]], float)
    ins = np.array([[True, False, True, True]])
    m, s = past_stats(y, ins, 4, 4)
    assert m[0] == 10 and s[0] == 0
