"""The learned policy's state from a shop's numbers (pure; no Django).

The network was trained on a pipeline of whole review periods: slot 0 is what is on hand
(plus what arrives at the start of the next period), slots 1..L-1 what arrives in later
periods. A shop's open orders carry dates, so each goes to the slot of the review period it
arrives in; arrivals beyond the trained pipeline (or any, when L <= 1) take the nearest slot,
an approximation the suggestion's explanation names.
"""
from __future__ import annotations

import math
from datetime import date

import numpy as np

from .agent import K_MAX


def pipeline_periods(lead_days: float, review_days: int) -> int:
    """Lead time in whole review periods (the L the policy was trained for)."""
    return max(int(round(lead_days / review_days)), 0)


def observation(on_hand: float, arrivals, as_of: date, lead_days: float, review_days: int) -> np.ndarray:
    """(1, K_MAX + 1) state: on hand, then each open order in its arrival period's slot.
    ``arrivals``: [(expected date or None, units)]; an undated order counts as next period's."""
    L = pipeline_periods(lead_days, review_days)
    obs = np.zeros((1, K_MAX + 1))
    obs[0, 0] = on_hand
    for when, units in arrivals:
        k = max(1, math.ceil((when - as_of).days / review_days)) if when else 1
        obs[0, min(k, L - 1) if L >= 2 else 0] += units
    return obs


def per_period_demand(mean_interval, std_interval, lead_days: float, review_days: int):
    """Mean and cv of one review period's demand from the protection interval's (lead time
    + review period) mean and standard deviation, treating periods as independent (numbers
    or arrays of series)."""
    interval = np.rint(lead_days) + review_days
    mean = np.maximum(np.asarray(mean_interval, float) * review_days / interval, 1e-3)
    std = np.asarray(std_interval, float) * np.sqrt(review_days / interval)
    return mean, np.maximum(std / mean, 0.05)


def replay_observation(on_hand, pipeline, lead_periods) -> np.ndarray:
    """(N, K_MAX + 1) states from a replay's state (``replenishment.policies.replay``): on hand
    plus what arrives next period in slot 0, then the later arrivals of each series' own lead
    time ``lead_periods`` (scalar or (N,)) in slots 1..L-1."""
    on_hand = np.asarray(on_hand, float)
    N = on_hand.shape[0]
    L = np.broadcast_to(np.asarray(lead_periods, int), (N,))
    obs = np.zeros((N, K_MAX + 1))
    obs[:, 0] = on_hand + np.where(L > 0, pipeline[:, 0], 0)
    for j in range(1, min(int(L.max(initial=0)), K_MAX + 1)):
        obs[:, j] = np.where(L > j, pipeline[:, j], 0)
    return obs
