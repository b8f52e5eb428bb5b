"""Demand generators for the vectorised simulator: one draw per SKU-episode per period.

Each source returns an int64 array of shape (n,) for period t. Common random numbers:
two simulations given the same source object state/seed see the same demand path, and
``ReplayDemand`` replays a pre-drawn or historical (n, T) matrix exactly.
"""
from __future__ import annotations

import numpy as np

from ..policies.demand import sample_from_quantiles
from ..policies.validation import check_nonnegative, check_positive


class PoissonDemand:
    def __init__(self, mean):
        self.mean = check_nonnegative("mean", mean)

    def draw(self, rng: np.random.Generator, t: int, n: int) -> np.ndarray:
        return rng.poisson(np.broadcast_to(self.mean, (n,)))


class NegBinDemand:
    """Negative binomial with mean m and variance m + m^2 / k (k = ``dispersion``)."""

    def __init__(self, mean, dispersion):
        self.mean = check_nonnegative("mean", mean)
        self.k = check_positive("dispersion", dispersion)

    def draw(self, rng, t, n):
        m = np.broadcast_to(self.mean, (n,))
        k = np.broadcast_to(self.k, (n,))
        return rng.negative_binomial(k, k / (k + np.maximum(m, 1e-12)))


class QuantileDemand:
    """Demand sampled from quantile forecasts: ``values`` (n, T, Q) or (n, Q) (stationary).

    Draws are rounded to whole units (stochastic rounding keeps the mean)."""

    def __init__(self, levels, values):
        self.levels = np.asarray(levels, dtype=float)
        v = np.asarray(values, dtype=float)
        self.values = v[:, None, :] if v.ndim == 2 else v

    def draw(self, rng, t, n):
        vals = self.values[:, min(t, self.values.shape[1] - 1), :]
        u = rng.random((n, 1))
        x = sample_from_quantiles(self.levels, vals, u)[:, 0]
        return np.floor(x + rng.random(n)).astype(np.int64)


class ReplayDemand:
    """Replays a demand matrix (n, T): real history or pre-drawn common random numbers.

    ``rows`` (optional, one per episode) maps episodes to matrix rows, so a grid of policies
    can share the same paths without copying the matrix."""

    def __init__(self, matrix, start: int = 0, rows=None):
        m = np.asarray(matrix)
        if m.ndim != 2:
            raise ValueError("matrix must be 2-D (series, periods)")
        if np.issubdtype(m.dtype, np.integer):
            if m.size and m.min() < 0:
                raise ValueError("matrix must be >= 0")
            self.matrix = m
        else:
            check_nonnegative("matrix", m)
            self.matrix = np.rint(m).astype(np.int64)
        self.start = int(start)
        self.rows = None if rows is None else np.asarray(rows, dtype=np.int64)

    def draw(self, rng, t, n):
        col = self.start + t
        if col >= self.matrix.shape[1]:
            raise IndexError(f"replayed history has {self.matrix.shape[1]} periods; period {col} asked")
        if self.rows is not None:
            return self.matrix[self.rows, col]
        return self.matrix[:n, col]
