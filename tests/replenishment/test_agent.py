"""The global policy network: seeded training, save/load, a sane learned policy."""
import numpy as np
import torch

from replenishment.rl import agent
from replenishment.rl.demand import ReplayDemand
from replenishment.rl.heuristics import capped_base_stock
from replenishment.rl.simulator import InventorySimulator, run_policy

ITEM = agent.Item(mean=5.0, lead_time=1, shortage_cost=9.0)
CFG = agent.DCLConfig(seed=3, iterations=1, states_per_item=400, sample_envs=100, rollouts=16,
                      horizon_extra=8, hidden=32, layers=2, fit_steps=1000, batch_size=128,
                      lr=3e-3)


def _train(cfg=CFG):
    return agent.train_dcl([ITEM], [capped_base_stock(14, 7)], cfg, log=lambda *_: None)[0]


def _cost(policy, seed=0):
    D = np.random.default_rng(seed).poisson(5, (200, 700))
    sim = InventorySimulator(200, ReplayDemand(D), 1, 9, 1)
    per_ep, _ = run_policy(sim, policy, periods=600, warmup=100, on_hand=10)
    return per_ep.mean()


def test_training_is_reproducible_and_learns_a_sane_policy(tmp_path):
    import dataclasses
    short = dataclasses.replace(CFG, states_per_item=200, fit_steps=40)
    net_1, net_2 = _train(short), _train(short)    # same seed -> bit-identical weights
    for pa, pb in zip(net_1.parameters(), net_2.parameters()):
        assert torch.equal(pa, pb)
    other = _train(dataclasses.replace(short, seed=4))
    assert not all(torch.equal(pa, pb) for pa, pb in zip(net_1.parameters(), other.parameters()))
    net_a = _train()
    learned = _cost(agent._lazy_items_policy(net_a, ITEM))
    heuristic = _cost(capped_base_stock(14, 7))
    never_order = _cost(lambda sim: np.zeros(sim.n))
    assert learned < 0.2 * never_order
    assert learned < 1.05 * heuristic
    # save / load round trip gives the same actions
    path = tmp_path / "policy.pt"
    agent.save(net_a, path, {"test": True})
    loaded = agent.load(path)
    obs = np.column_stack([np.arange(30), np.zeros(30), np.zeros(30)])
    x = agent.features(obs, np.full(30, 5.0), 1, 9.0, 1.0, 1 / np.sqrt(5))
    np.testing.assert_array_equal(net_a.act(x), loaded.act(x))


def test_one_forward_pass_serves_a_catalogue():
    net = agent.PolicyNet(hidden=16, layers=1)
    n = 10_000
    rng = np.random.default_rng(0)
    mean = rng.uniform(0.1, 100, n)
    pol = agent.NetworkPolicy(net, mean, rng.integers(0, 8, n), rng.uniform(1, 40, n), 1.0,
                              rng.uniform(0.2, 2, n))
    obs = np.column_stack([rng.integers(0, 50, n), rng.integers(0, 20, (n, 7))])
    a = pol.action_index(obs)
    assert a.shape == (n,) and a.min() >= 0 and a.max() < net.n_actions
    assert np.all(np.isfinite(agent.features(obs, mean, 3, 9.0, 1.0, 1.0).numpy()))
