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


@dataclass(frozen=True)
class Draws:
    """Monte-Carlo draws of total demand, as where each counted day's uniform draw falls on the
    quantile grid: day ``cols[k]`` of draw ``rows[k]`` lies between levels ``j[k]`` and
    ``j[k] + 1``, ``share[k]`` of the way up."""

    n: int
    h: int
    rows: np.ndarray
    cols: np.ndarray
    j: np.ndarray
    share: np.ndarray


def draws_over(levels, days: np.ndarray, horizon: int, *, rho: float = 0.3, seed: int = 0) -> Draws:
    """Draw ``i`` counts the first ``days[i]`` days (at most ``horizon``).

    Daily demand is drawn from each day's quantile function (linear between the given levels,
    flat beyond the outer ones); days are tied by a Gaussian copula with common correlation
    ``rho`` because forecast errors of neighbouring days are not independent (a level that is
    off is off every day), and independence would understate the spread of the total.

    Where a draw falls between the levels depends on the draw and the levels only, never on the
    quantile values, so one Draws serves every series with the same lead times (common random
    numbers): see draw_weights.
    """
    rng = np.random.default_rng(seed)
    days = np.asarray(days)
    n = len(days)
    levels = np.asarray(levels, float)
    h = int(min(horizon, days.max() if n else 0))  # days past the longest draw never count
    z = np.sqrt(rho) * rng.standard_normal((n, 1)) + np.sqrt(1 - rho) * rng.standard_normal((n, h))
    # Only the days each draw counts are turned into demand (about half of them where lead times vary).
    rows, cols = np.nonzero(np.arange(h)[None, :] < days[:, None])
    u = np.clip(ndtr(z[rows, cols]), levels[0], levels[-1])
    j = np.clip(np.searchsorted(levels, u, side="right") - 1, 0, len(levels) - 2)
    return Draws(n, h, rows, cols, j, (u - levels[j]) / (levels[j + 1] - levels[j]))


def sample_total(q: np.ndarray, levels, days: np.ndarray, *, rho: float = 0.3, seed: int = 0) -> np.ndarray:
    """Monte Carlo draws of total demand over the first ``days[i]`` days for draw ``i`` (draws_over)."""
    return totals_of(draws_over(levels, days, q.shape[0], rho=rho, seed=seed), q)


def totals_of(d: Draws, q: np.ndarray) -> np.ndarray:
    """The draws' totals on one quantile table ``[H, Q]``."""
    q = np.asarray(q, float)
    daily = q[d.cols, d.j] + (q[d.cols, d.j + 1] - q[d.cols, d.j]) * d.share
    return np.bincount(d.rows, weights=daily, minlength=d.n)


def draw_weights(d: Draws, n_levels: int) -> np.ndarray:
    """The draws as weights on a quantile table, ``[draws, h * Q]``: a draw's total is linear in
    the table, so the totals of many series are one matrix product (totals_from_weights). The
    whole catalogue's stock check is tens of thousands of series with a few dozen lead times."""
    weights = np.zeros((d.n, d.h, n_levels))
    weights[d.rows, d.cols, d.j] = 1 - d.share
    weights[d.rows, d.cols, d.j + 1] += d.share
    return weights.reshape(d.n, d.h * n_levels)


def totals_from_weights(weights: np.ndarray, q_stack: np.ndarray) -> np.ndarray:
    """``[draws, P]`` totals of ``P`` series' quantile tables ``[P, H, Q]`` (H >= the draws' h)."""
    p, _, k = q_stack.shape
    h = weights.shape[1] // k
    return weights @ q_stack[:, :h, :].reshape(p, h * k).T
