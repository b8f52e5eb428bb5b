"""Train one global policy for a catalogue from a summary of its items (pure; no Django).

A catalogue of thousands of SKUs is summarised by a small grid of demand profiles (mean,
cv per review period) x lead times x cost ratios; the policy is trained on the grid and
then serves every SKU by conditioning on that SKU's own features.
"""
from __future__ import annotations

import itertools

import numpy as np

from . import agent
from .heuristics import capped_base_stock


def profile_grid(means, cvs, lead_times, cost_ratios, n_means=3, n_cvs=2, n_ratios=2):
    """Quantiles of each statistic (robust to a long tail of slow movers)."""
    pick = lambda v, k: np.unique(np.round(np.quantile(np.asarray(v, float), np.linspace(0.15, 0.85, k)), 2))  # noqa: E731
    m, c, r = pick(means, n_means), pick(cvs, n_cvs), pick(cost_ratios, n_ratios)
    Ls = sorted({int(x) for x in lead_times})
    return [agent.Item(float(max(mi, 0.05)), L, float(max(ri, 0.1)), 1.0, cv=float(max(ci, 0.05)))
            for mi, ci, L, ri in itertools.product(m, c, Ls, r)]


def train_for_items(items, cfg: agent.DCLConfig | None = None, log=print):
    cfg = cfg or agent.DCLConfig(iterations=1, states_per_item=1500, rollouts=48, fit_steps=3000)
    init = []
    for i, it in enumerate(items):
        S, r = agent.tune_capped_base_stock(it, episodes=30, periods=600, seed=cfg.seed + i)
        init.append(capped_base_stock(S, r))
    return agent.train_dcl(items, init, cfg, log=log)
