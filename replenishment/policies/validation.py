"""Parameter checks shared by every policy: refuse bad input with a message naming it."""
from __future__ import annotations

import math

import numpy as np


def _as_array(name: str, value) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return arr


def check_nonnegative(name: str, value) -> np.ndarray:
    arr = _as_array(name, value)
    if np.any(arr < 0):
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return arr


def check_positive(name: str, value) -> np.ndarray:
    arr = _as_array(name, value)
    if np.any(arr <= 0):
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return arr


def check_costs(holding_cost, shortage_cost) -> None:
    """h >= 0 and p >= 0, not both zero (the critical fractile would be undefined)."""
    h = check_nonnegative("holding_cost", holding_cost)
    p = check_nonnegative("shortage_cost", shortage_cost)
    if np.any(h + p <= 0):
        raise ValueError("holding_cost and shortage_cost cannot both be 0")


def check_lead_time(lead_time, lead_time_std=0.0) -> None:
    check_nonnegative("lead_time", lead_time)
    check_nonnegative("lead_time_std", lead_time_std)


def check_pack(pack_size=1, moq=0) -> None:
    pack = check_positive("pack_size", pack_size)
    check_nonnegative("moq", moq)
    if np.any(pack != np.round(pack)):
        raise ValueError(f"pack_size must be a whole number of units, got {pack_size!r}")


def check_review_period(review_period) -> None:
    r = check_positive("review_period", review_period)
    if np.any(r != np.round(r)):
        raise ValueError(f"review_period must be a whole number of periods, got {review_period!r}")


def check_probability(name: str, value) -> float:
    v = float(value)
    if not (0.0 < v < 1.0) or math.isnan(v):
        raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    return v
