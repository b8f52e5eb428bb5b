"""Gymnasium-compatible single-SKU view of the simulator, for people who bring their own
RL library. ``gymnasium`` is imported only when the environment is built, so the rest of
the package works without it.

Observation: float32 [on hand net of backlog, pipeline (max_lead_time)]; action: order
quantity 0..max_order (Discrete); reward: minus the period's cost.
"""
from __future__ import annotations

import numpy as np

from .simulator import InventorySimulator


def make_single_sku_env(demand, holding_cost=1.0, shortage_cost=4.0, lead_time=1,
                        max_order: int = 30, episode_length: int = 200, **sim_kwargs):
    try:
        import gymnasium as gym  # for outside RL code only: the simulator and the product run without it
        from gymnasium import spaces  # (the same)
    except ImportError as e:  # pragma: no cover - depends on the optional package
        raise ImportError("make_single_sku_env needs the optional 'gymnasium' package "
                          "(pip install gymnasium)") from e

    class SingleSkuInventoryEnv(gym.Env):
        metadata = {"render_modes": []}

        def __init__(self):
            self.sim = InventorySimulator(1, demand, holding_cost, shortage_cost, lead_time,
                                          **sim_kwargs)
            width = 1 + self.sim.K
            self.observation_space = spaces.Box(-np.inf, np.inf, (width,), np.float32)
            self.action_space = spaces.Discrete(max_order + 1)
            self.episode_length = episode_length

        def reset(self, *, seed=None, options=None):
            super().reset(seed=seed)
            opts = options or {}
            obs = self.sim.reset(on_hand=opts.get("on_hand", 0), pipeline=opts.get("pipeline"),
                                 seed=int(self.np_random.integers(2**63 - 1)))
            return obs[0].astype(np.float32), {}

        def step(self, action):
            flows = self.sim.step(np.array([int(action)]))
            obs = self.sim.observe()[0].astype(np.float32)
            info = {"demand": int(flows.demand[0]), "lost": int(flows.lost[0]),
                    "ordered": int(flows.ordered[0]), "cost": float(flows.cost[0])}
            truncated = self.sim.t >= self.episode_length
            return obs, -float(flows.cost[0]), False, truncated, info

    return SingleSkuInventoryEnv()
