"""Demand classes (Syntetos, Boylan & Croston 2005) by ADI and CV squared.

ADI = mean interval between non-zero demands; CV2 = squared coefficient of variation of
the non-zero demand sizes.  Cut-offs 1.32 and 0.49:
smooth (ADI<1.32, CV2<0.49), erratic (ADI<1.32, CV2>=0.49),
intermittent (ADI>=1.32, CV2<0.49), lumpy (ADI>=1.32, CV2>=0.49).
A series with fewer than two non-zero demands has no CV2: it is 'lumpy' if it sold once,
'no_demand' if never.
"""
from __future__ import annotations

import numpy as np

ADI_CUT = 1.32
CV2_CUT = 0.49
CLASSES = ("smooth", "erratic", "intermittent", "lumpy", "no_demand")


def adi_cv2(history: np.ndarray) -> tuple[float, float]:
    """ADI and CV2 of one series (NaN = not observed, skipped)."""
    h = np.asarray(history, np.float64)
    h = h[~np.isnan(h)]
    nz = h[h > 0]
    if len(nz) == 0:
        return float("inf"), float("nan")
    adi = len(h) / len(nz)
    cv2 = float(np.var(nz) / np.mean(nz) ** 2) if len(nz) > 1 else float("nan")
    return float(adi), cv2


def classify_one(history: np.ndarray) -> str:
    return _classify(*adi_cv2(history))


def classify_moments(days: int, nonzero_days: int, total: float, squares: float) -> str:
    """The class from sums instead of the series (what a database can aggregate): `days` observed,
    `nonzero_days` of them with demand, and the sum and sum of squares of those days' demand."""
    if nonzero_days == 0:
        return "no_demand"
    mean = total / nonzero_days
    cv2 = max(squares / nonzero_days - mean * mean, 0.0) / (mean * mean) if nonzero_days > 1 else float("nan")
    return _classify(days / nonzero_days, cv2)


def _classify(adi: float, cv2: float) -> str:
    if np.isinf(adi):
        return "no_demand"
    if np.isnan(cv2):
        return "lumpy"
    if adi < ADI_CUT:
        return "smooth" if cv2 < CV2_CUT else "erratic"
    return "intermittent" if cv2 < CV2_CUT else "lumpy"


def classify(y: np.ndarray, window: int | None = 365) -> np.ndarray:
    """Class per series of a ``[N, T]`` array, over the last ``window`` days (None = all)."""
    y = np.asarray(y)
    if window:
        y = y[:, -window:]
    return np.array([classify_one(row) for row in y], dtype=object)
