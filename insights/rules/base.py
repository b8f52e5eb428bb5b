"""What every rule returns, and the quantile helpers the stock rules share."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import ndtr

# The forecasting app's quantile grid (forecasting.ml.base.QUANTILES); repeated here so that the
# rules stay importable without it. A caller with another grid passes its own levels.
DEFAULT_LEVELS = (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99)


class Severity:
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class RuleInputError(ValueError):
    """Bad input to a rule; the message names the field."""


@dataclass
class Assessment:
    kind: str
    product_id: int | None
    warehouse_id: int | None
    firing: bool | None
    severity: str = Severity.INFO
    message: str = ""
    evidence: dict = field(default_factory=dict)
    # what the condition may cost, in the shop's currency (expected margin lost, excess stock
    # value); None where a rule has no money figure (anomaly, drift, stale data)
    money_at_stake: float | None = None

    @property
    def key(self) -> tuple:
        return (self.kind, self.product_id, self.warehouse_id)


def check_quantiles(q: np.ndarray, levels, field_name: str = "quantiles") -> tuple[np.ndarray, np.ndarray]:
    """Validate a ``[H, Q]`` array of daily quantiles; returns it sorted and clipped at 0."""
    q = np.asarray(q, float)
    levels = np.asarray(levels, float)
    if q.ndim != 2 or q.shape[1] != len(levels):
        raise RuleInputError(f"{field_name} must be [days, {len(levels)}] over levels {list(levels)}, got {q.shape}")
    if q.shape[0] == 0:
        raise RuleInputError(f"{field_name} has no days")
    if not np.all(np.isfinite(q)):
        raise RuleInputError(f"{field_name} contains NaN or infinite values")
    if np.any(np.diff(levels) <= 0) or levels[0] <= 0 or levels[-1] >= 1:
        raise RuleInputError(f"quantile levels must be strictly increasing inside (0, 1), got {list(levels)}")
    return np.sort(np.clip(q, 0, None), axis=1), levels


def sample_total(q: np.ndarray, levels, days: np.ndarray, *, rho: float = 0.3, seed: int = 0) -> np.ndarray:
    """Monte Carlo draws of total demand over the first ``days[i]`` days for draw ``i``.

    Daily demand is drawn from each day's quantile function (linear between the given levels,
    flat beyond the outer ones); days are tied by a Gaussian copula with common correlation
    ``rho`` because forecast errors of neighbouring days are not independent (a level that is
    off is off every day), and independence would understate the spread of the total.
    """
    rng = np.random.default_rng(seed)
    days = np.asarray(days)
    n = len(days)
    h = int(min(q.shape[0], days.max() if n else 0))  # days past the longest draw never count
    q = q[:h]
    levels = np.asarray(levels, float)
    z = np.sqrt(rho) * rng.standard_normal((n, 1)) + np.sqrt(1 - rho) * rng.standard_normal((n, h))
    # Only the days each draw counts are turned into demand (about half of them where lead times
    # vary): the whole catalogue's stock check is tens of thousands of these.
    rows, cols = np.nonzero(np.arange(h)[None, :] < days[:, None])
    # Inverse CDF of each day, vectorised: linear between levels, flat beyond the outer ones.
    u = np.clip(ndtr(z[rows, cols]), levels[0], levels[-1])
    j = np.clip(np.searchsorted(levels, u, side="right") - 1, 0, len(levels) - 2)
    lo, hi = levels[j], levels[j + 1]
    q_lo, q_hi = q[cols, j], q[cols, j + 1]
    daily = q_lo + (q_hi - q_lo) * (u - lo) / (hi - lo)
    return np.bincount(rows, weights=daily, minlength=n)
