"""Small generated panels for fast tests (not real demand)."""
import numpy as np
import pandas as pd

from forecasting.ml.data import Panel


def make_panel(n=8, t=150, seed=0, start_late=True) -> Panel:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2024-01-01", periods=t, freq="D")
    week = 1 + 0.5 * np.sin(2 * np.pi * dates.dayofweek.to_numpy() / 7)
    rate = rng.uniform(0.3, 8, size=(n, 1))
    promo = (rng.random((n, t)) < 0.1).astype(np.float32)
    price = np.repeat(rng.uniform(2, 10, size=(n, 1)), t, axis=1).astype(np.float32)
    price[promo > 0] *= 0.8
    y = rng.poisson(rate * week[None, :] * (1 + 1.5 * promo)).astype(np.float32)
    if start_late:
        y[0, :40] = np.nan  # a series that starts later
    cats = np.array(["a", "b"] * (n // 2) + ["a"] * (n % 2), dtype=object)
    desc = np.array([f"item {i} of category {c}" for i, c in enumerate(cats)], dtype=object)
    return Panel(np.array([f"s{i}" for i in range(n)], dtype=object), dates, "D", y, price, promo,
                 np.zeros((n, t), np.float32), np.zeros((n, t), np.float32), cats, desc, n_obs=t)
