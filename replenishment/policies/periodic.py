"""Order-up-to decisions for many series at once, as the replay and the benchmark take them
(pure numpy). Each returns an order-up-to level S per series; ``order_up_to`` turns it into
the order for a replay state."""
from __future__ import annotations

import numpy as np
from scipy import stats

from .demand import sample_from_quantiles

MA_WINDOW = 8


def past_stats(y, observed, end: int, window: int):
    """Mean and sample standard deviation per series over the last ``window`` observed
    periods before column ``end`` (``observed`` False: a censored or missing period)."""
    lo = max(0, end - window)
    w = y[:, lo:end]
    ok = observed[:, lo:end] & ~np.isnan(w)
    cnt = ok.sum(1)
    mean = np.where(cnt > 0, np.where(ok, w, 0).sum(1) / np.maximum(cnt, 1), 0.0)
    var = np.where(cnt > 1, (np.where(ok, w - mean[:, None], 0) ** 2).sum(1) / np.maximum(cnt - 1, 1), 0.0)
    return mean, np.sqrt(var)


def moving_average_level(y, observed, end: int, periods, fractile, window: int = MA_WINDOW):
    """S = periods x mean + z(fractile) x std x sqrt(periods), mean and std over the last
    ``window`` observed periods (the textbook normal approximation); ``periods`` and
    ``fractile`` are scalars or one per series."""
    m, s = past_stats(y, observed, end, window)
    return periods * m + stats.norm.ppf(fractile) * s * np.sqrt(periods)


def order_up_to(level, state) -> np.ndarray:
    return np.maximum(np.ceil(np.asarray(level, float) - 1e-9) - state.position, 0)


def sum_quantiles(qs, levels, probs, periods: int, n_samples: int = 2000, seed: int = 0, block: int = 256):
    """(N, len(probs)) quantiles of the sum of the first ``periods`` periods of a quantile
    forecast ``qs`` (N, H, Q), drawing the periods independently given the forecast."""
    qs = np.asarray(qs, float)[:, :periods]
    if qs.shape[1] < periods:
        raise ValueError(f"the forecast covers {qs.shape[1]} period(s), the protection interval {periods}")
    rng = np.random.default_rng(seed)
    N = qs.shape[0]
    out = np.empty((N, len(probs)))
    for lo in range(0, N, block):
        blk = qs[lo:lo + block]
        u = rng.random((blk.shape[0], periods, n_samples))
        draws = sample_from_quantiles(levels, blk[:, :, None, :].repeat(n_samples, 2), u[..., None])[..., 0]
        out[lo:lo + block] = np.quantile(draws.sum(1), probs, axis=1, method="inverted_cdf").T
    return out
