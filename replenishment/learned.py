"""The learned (RL) reorder policy in the product: where its network lives, the order it
places for one pair, and training it on a summary of the catalogue.

``replenishment.rl`` imports torch (seconds), which web processes that only show
suggestions never need, so its code is imported on first use through ``_rl_code``.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from django.conf import settings
from django.utils import timezone

from inventory.selectors import last_sales_day

from .decision_demand import protection_demand
from .errors import ReplenishmentError
from .inputs import PairInput, costs_for, forecasts, history, pairs
from .policies import LeadTimeDemand

_NET_CACHE: dict = {}


def rl_policy_path() -> Path:
    default = Path(getattr(settings, "VAR_DIR", Path("var"))) / "models" / "replenishment_rl.pt"
    return Path(getattr(settings, "REPLENISHMENT_RL_POLICY", default))


def _rl_code():
    """The learned policy's code (replenishment.rl.agent, .catalogue, .observation), imported on
    first use: it imports torch (seconds), which web processes that only show suggestions never need."""
    from .rl import agent, catalogue, observation

    return SimpleNamespace(agent=agent, catalogue=catalogue, observation=observation)


def _load_net(path: str, mtime: float):
    key = (path, mtime)
    if key not in _NET_CACHE:
        _NET_CACHE.clear()
        _NET_CACHE[key] = _rl_code().agent.load(path)
    return _NET_CACHE[key]


def rl_order(pair: PairInput, costs, lead_days: float, demand: LeadTimeDemand, as_of: date) -> int | None:
    """The learned policy's order in units, or None when no policy has been trained."""
    path = rl_policy_path()
    if not path.exists():
        return None
    rl = _rl_code()
    net = _load_net(str(path), path.stat().st_mtime)
    R = costs.review_days
    mean, cv = rl.observation.per_period_demand(demand.mean, demand.std, lead_days, R)
    obs = rl.observation.observation(pair.on_hand, pair.arrivals, as_of, lead_days, R)
    L = rl.observation.pipeline_periods(lead_days, R)
    pol = rl.agent.NetworkPolicy(net, np.array([mean]), L, costs.shortage, costs.holding, np.array([cv]))
    return int(np.rint(pol.action_index(obs)[0] * rl.agent.order_unit(mean)))


def train_catalogue_policy(lead_times=None, seed: int = 1, as_of: date | None = None, log=print,
                           states_per_item: int = 1500, fit_steps: int = 3000) -> Path:
    """Summarise the catalogue (demand per review period, cv, lead time in periods, p/h)
    and train the global policy on that grid; saved at ``rl_policy_path()``.

    The grid spans what the network is fed when it decides (``rl_order``): each pair's demand
    per review period and cv from its protection-interval demand, the calibrated current forecast
    where there is one, else its sales history (``decision_demand.protection_demand``). On the
    bench's replays (training seed 1), items spanning the forecast's statistics rather than the
    last 26 periods' cost, x base-stock on a moving average, h 0.2 / p 1 and h 1 / p 9: M5 slice by
    week 0.961 and 0.947 (0.964 and 0.953), Online Retail by week 0.944 and 0.916 (0.942 and
    0.955), M5 slice by day 0.716 and 0.757 (0.683 and 0.754). Over more seeds the M5 slice by
    day at h 0.2 / p 1 lost again (seed 2: 0.718 against 0.682) and the M5 slice by week at h 1 /
    p 9 was even (seeds 2 and 3: 0.962 and 0.948 against 0.959 and 0.945). So the evidence is
    mixed; kept for consistency: the network is trained on the statistics it is fed."""
    rl = _rl_code()
    agent, catalogue = rl.agent, rl.catalogue
    as_of = as_of or last_sales_day() or timezone.localdate()
    found = pairs()
    sales = history(found, as_of)
    _, current = forecasts(found, as_of)
    means, cvs, Ls, ratios = [], [], [], []
    for i, pair in enumerate(found):
        h = sales.get(pair.key)
        if h is None:
            continue
        costs = costs_for(pair.product, pair.policy)
        R = costs.review_days
        if np.sum(~np.isnan(h)) < 2 * R or np.nansum(h) <= 0:
            continue
        demand, _ = protection_demand(pair, costs, pair.lead_days, pair.lead_std, sales, current, seed + i)
        if demand is None:
            continue
        mean, cv = rl.observation.per_period_demand(demand.mean, demand.std, pair.lead_days, R)
        means.append(float(mean))
        cvs.append(float(cv))
        Ls.append(rl.observation.pipeline_periods(pair.lead_days, R))
        ratios.append(costs.shortage / max(costs.holding, 1e-9))
    if not means:
        raise ReplenishmentError("No sales history to train a policy on.")
    items = catalogue.profile_grid(means, cvs, lead_times or Ls, ratios)
    net, tlog = catalogue.train_for_items(items, agent.DCLConfig(seed=seed, iterations=1, states_per_item=states_per_item,
                                                                 rollouts=48, fit_steps=fit_steps), log=log)
    path = rl_policy_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    agent.save(net, path, {"items": [vars(i) for i in items], "rounds": tlog.rounds, "as_of": str(as_of)})
    return path
