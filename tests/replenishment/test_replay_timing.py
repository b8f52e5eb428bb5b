"""The replay's timing convention (replenishment/policies/replay.py, used by the product and bench)."""
import numpy as np

from replenishment.policies.periodic import past_stats
from replenishment.policies.replay import replay


def test_order_placed_at_end_of_period_arrives_at_start_of_t_plus_L_plus_1():
    L = 2
    y = np.array([[5, 5, 5, 5]], float)    # the 4 evaluation periods
    placed = {}

    def decide(state):
        placed[state.t] = state.pipeline[:, :L].copy()
        return np.array([10.0]) if state.t == 1 else np.array([0.0])   # ordered at the end of period 1

    r = replay(y, decide, L, 1.0, 3.0, np.array([0.0]), np.zeros((1, L)))
    # periods 1..3: nothing on hand, 5 lost each; the order of period 1 arrives at the start of
    # period 4 and serves its 5 units, leaving 5 (holding 5)
    assert r.per_period.tolist() == [15.0, 15.0, 15.0, 5.0]
    assert r.holding.sum() == 5.0 and r.shortage.sum() == 45.0
    np.testing.assert_array_equal(placed[2], [[0, 10]])   # 2 periods out after one shift
    np.testing.assert_array_equal(placed[3], [[10, 0]])


def test_in_transit_k_arrives_at_start_of_period_k():
    y = np.array([[4, 4, 4]], float)
    r = replay(y, lambda s: np.array([0.0]), 2, 1.0, 1.0, np.array([0.0]), np.array([[4.0, 4.0]]))
    # in_transit_1 serves period 1, in_transit_2 period 2; period 3 has nothing and loses 4
    assert r.per_period.tolist() == [0.0, 0.0, 4.0]
    assert r.holding.sum() == 0.0


def test_past_stats_skip_censored_periods():
    y = np.array([[10, 0, 10, 10]], float)
    ins = np.array([[True, False, True, True]])
    m, s = past_stats(y, ins, 4, 4)
    assert m[0] == 10 and s[0] == 0
