"""The stock a replay starts from: where the shop really stood at the end of the origin day.

Every method of the replay (``replays.py``) is played from the same starting stock. Where the
stock ledger knows a pair by the origin day, that is its real position then: on hand, the
ledger's balance at the end of the day; in transit, the units of purchase orders placed by then
that were received during the replay, each in the replay period its receipt fell in (one later
than the lead time in the last transit slot: the replay's pipeline holds the lead time's periods
only, and the units did come). A pair the ledger had not seen keeps an estimate: the mean of its last 8 periods on hand
and in each transit slot. The choice matters most for re-ordering what sold, which keeps the
position it starts with; a made-up start can make it look right or wrong by luck.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from inventory.selectors import receipts_of_orders_placed_by, stock_on_hand_at


@dataclass
class StartState:
    on_hand: np.ndarray        # (N,)
    pipeline: np.ndarray       # (N, max lead time): pipeline[:, k - 1] arrives at the start of period k
    from_ledger: np.ndarray    # (N,) bool


def start_state(keys, origin_day: date, last_day: date, days_per_period: int, lead_periods,
                estimate: np.ndarray) -> StartState:
    """The starting stock of ``keys`` for a replay of the days after ``origin_day`` up to
    ``last_day``; ``lead_periods`` (N,) in replay periods; ``estimate`` (N,): the per-period
    quantity a pair the ledger does not know starts with (on hand and in each transit slot)."""
    lead = np.asarray(lead_periods, int)
    width = int(lead.max(initial=0))
    on_hand = np.round(np.asarray(estimate, float))
    pipeline = np.where(np.arange(width)[None, :] < lead[:, None], on_hand[:, None], 0.0)
    known = stock_on_hand_at(keys, origin_day)
    from_ledger = np.array([k in known for k in keys], bool)
    on_hand = np.where(from_ledger, [max(known.get(k, 0), 0) for k in keys], on_hand)
    pipeline[from_ledger] = 0.0
    index = {k: i for i, k in enumerate(keys)}
    for p, w, day, units in receipts_of_orders_placed_by(keys, origin_day, last_day):
        i = index[(p, w)]
        if not from_ledger[i]:
            continue
        period = -(-(day - origin_day).days // days_per_period)         # 1: the replay's first period
        if lead[i] == 0:
            on_hand[i] += units        # no transit slot: it is on the shelf for the first period
        else:
            pipeline[i, min(period, lead[i]) - 1] += units
    return StartState(on_hand, pipeline, from_ledger)
