"""What every forecaster returns, and the interface it offers."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# The quantile grid every model produces.  p01/p99 feed stock-out and anomaly alerts,
# p10/p90 the 80 % interval staff see, p50 the median.
QUANTILES = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)
QUANTILE_NAMES = tuple(f"p{int(round(q * 100)):02d}" for q in QUANTILES)


def qindex(level: float) -> int:
    return int(np.argmin(np.abs(np.asarray(QUANTILES) - level)))


@dataclass
class Forecast:
    """Forecasts for every series of a panel from one origin.

    ``mean`` is ``[N, H]``; ``quantiles`` is ``[N, H, Q]`` over :data:`QUANTILES`, sorted
    along the last axis and never negative.
    """

    mean: np.ndarray
    quantiles: np.ndarray
    ids: np.ndarray
    dates: pd.DatetimeIndex

    def q(self, level: float) -> np.ndarray:
        return self.quantiles[..., qindex(level)]

    def to_frame(self) -> pd.DataFrame:
        n, h = self.mean.shape
        out = pd.DataFrame({
            "unique_id": np.repeat(self.ids, h),
            "ds": np.tile(np.asarray(self.dates), n),
            "mean": self.mean.reshape(-1),
        })
        flat = self.quantiles.reshape(n * h, -1)
        for j, name in enumerate(QUANTILE_NAMES):
            out[name] = flat[:, j]
        return out


def finalize(mean: np.ndarray, quantiles: np.ndarray, ids, dates) -> Forecast:
    """Clip at zero and sort quantiles so that no consumer ever sees crossing or negatives."""
    mean = np.clip(np.nan_to_num(mean.astype(np.float32)), 0, None)
    qs = np.sort(np.clip(np.nan_to_num(quantiles.astype(np.float32)), 0, None), axis=-1)
    return Forecast(mean, qs, np.asarray(ids), pd.DatetimeIndex(dates))


class Forecaster:
    """``fit(panel, end)`` learns from ``y[:, :end]``; ``predict(panel, origin, horizon)``
    forecasts days ``origin .. origin+horizon-1`` from ``y[:, :origin]`` and the known
    covariates of those days.  Local baselines have nothing to fit."""

    name = "forecaster"

    def fit(self, panel, end: int | None = None):
        return self

    def predict(self, panel, origin: int, horizon: int) -> Forecast:
        raise NotImplementedError
