"""A global replenishment policy network trained by approximate policy iteration.

Why not PPO: on Zipkin's lost-sales instances the gaps between good policies are a few
tenths of a percent, well below the noise of policy-gradient estimates, and the published
PPO/A3C results sit 1-7 % above optimal. Deep controlled learning (Temizöz et al.,
"Deep controlled learning for inventory control", EJOR 2025) reaches <0.1 % by turning the
problem into supervised learning: from states visited by the current policy, estimate the
cost of every candidate order by simulation rollouts with common random numbers, label the
state with the cheapest one, and fit a classifier. The simulator gives the rollouts for free
(vectorised: all states x candidate orders x rollouts step together), so this trains on a
2-core CPU in minutes. It is reinforcement learning in the sense that matters here: the
policy learns only from simulated interaction, never from the exact solution.

One network serves every SKU: its input is the item's pipeline in units of mean demand plus
the item's features (lead time, cost ratio, demand variability), its output a categorical
over order sizes 0..A-1 in units of mean demand / 5, so one forward pass orders for a
whole catalogue. Every hyperparameter is in ``DCLConfig``; runs are seeded.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import nn

from .demand import NegBinDemand, PoissonDemand, ReplayDemand
from .heuristics import capped_base_stock
from .simulator import InventorySimulator

K_MAX = 12          # longest pipeline the network reads (lead times up to 12 periods)
UNITS_PER_MEAN = 5  # an action step is mean demand / 5 units (1 unit when the mean is 5) ...


def order_unit(mean):
    """... but never below one unit: slow movers order whole units."""
    return np.maximum(np.asarray(mean, float) / UNITS_PER_MEAN, 1.0)


def device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class Item:
    """What the policy knows about an item: demand per period and costs."""
    mean: float
    lead_time: int
    shortage_cost: float
    holding_cost: float = 1.0
    cv: float | None = None   # std / mean of one period's demand; Poisson when None

    @property
    def demand_cv(self) -> float:
        return self.cv if self.cv is not None else 1.0 / math.sqrt(max(self.mean, 1e-9))

    @property
    def dispersion(self) -> float | None:
        """Negative-binomial k for the item's cv, None when Poisson (cv^2 <= 1/mean)."""
        excess = self.demand_cv ** 2 - 1.0 / max(self.mean, 1e-9)
        return None if excess <= 1e-9 else 1.0 / excess

    def demand_source(self):
        k = self.dispersion
        return PoissonDemand(self.mean) if k is None else NegBinDemand(self.mean, k)

    def draw(self, rng: np.random.Generator, shape) -> np.ndarray:
        k = self.dispersion
        if k is None:
            return rng.poisson(self.mean, shape)
        return rng.negative_binomial(k, k / (k + self.mean), shape)


def features(obs: np.ndarray, mean, lead_time, shortage, holding, cv) -> torch.Tensor:
    """obs (n, 1+K): net on hand then pipeline (simulator.observe()); item fields (n,)."""
    mean = np.maximum(np.asarray(mean, float), 1e-9)
    n = obs.shape[0]
    pipe = np.zeros((n, K_MAX + 1))
    k = min(obs.shape[1], K_MAX + 1)
    pipe[:, :k] = obs[:, :k] / mean[:, None]
    L = np.broadcast_to(np.asarray(lead_time, float), (n,))
    p = np.broadcast_to(np.asarray(shortage, float), (n,))
    h = np.broadcast_to(np.asarray(holding, float), (n,))
    position = pipe.sum(1)
    cols = [pipe / 4.0,
            (position / (L + 1))[:, None],
            (L / 10.0)[:, None],
            (p / (p + h))[:, None],
            (np.log(np.maximum(p, 1e-6) / np.maximum(h, 1e-6)) / 4.0)[:, None],
            np.broadcast_to(np.asarray(cv, float), (n,))[:, None],
            np.minimum(UNITS_PER_MEAN * order_unit(mean) / mean - 1.0, 10.0)[:, None] / 5.0]
    return torch.as_tensor(np.concatenate(cols, 1), dtype=torch.float32)


N_FEATURES = K_MAX + 1 + 6


class PolicyNet(nn.Module):
    def __init__(self, n_actions: int = 40, hidden: int = 128, layers: int = 3):
        super().__init__()
        mods, width = [], N_FEATURES
        for _ in range(layers):
            mods += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        mods.append(nn.Linear(width, n_actions))
        self.body = nn.Sequential(*mods)
        self.n_actions = n_actions

    def forward(self, x):
        return self.body(x)

    @torch.no_grad()
    def act(self, x: torch.Tensor, batch: int = 262144) -> np.ndarray:
        dev = next(self.parameters()).device
        out = [self(x[i:i + batch].to(dev)).argmax(1).cpu() for i in range(0, x.shape[0], batch)]
        return torch.cat(out).numpy()


class NetworkPolicy:
    """Wraps the net as ``policy(sim) -> orders`` for a simulator whose episodes are items."""

    def __init__(self, net: PolicyNet, mean, lead_time, shortage, holding, cv):
        self.net, self.mean, self.L = net, np.asarray(mean, float), lead_time
        self.p, self.h, self.cv = shortage, holding, cv

    def action_index(self, obs):
        return self.net.act(features(obs, self.mean, self.L, self.p, self.h, self.cv))

    def __call__(self, sim):
        a = self.action_index(sim.observe())
        return np.rint(a * order_unit(np.broadcast_to(self.mean, a.shape)))


def items_policy(net, items: list[Item], counts) -> NetworkPolicy:
    """A NetworkPolicy for a simulator laid out as ``counts[i]`` episodes of ``items[i]``."""
    rep = lambda f: np.repeat([f(it) for it in items], counts)  # noqa: E731
    return NetworkPolicy(net, rep(lambda i: i.mean), rep(lambda i: i.lead_time),
                         rep(lambda i: i.shortage_cost), rep(lambda i: i.holding_cost),
                         rep(lambda i: i.demand_cv))


@dataclass
class DCLConfig:
    seed: int = 1
    iterations: int = 2              # policy-improvement rounds
    states_per_item: int = 3000      # states sampled from the current policy, per item
    sample_envs: int = 200           # episodes run to sample those states
    sample_warmup: int = 100
    sample_every: int = 10
    window: int = 4                  # candidate orders: base order -window..+window
    rollouts: int = 64               # common-random-number rollouts per (state, order)
    horizon_extra: int = 12          # rollout length = lead time + 1 + horizon_extra
    n_actions: int = 40
    hidden: int = 128
    layers: int = 3
    fit_steps: int = 4000            # gradient steps per fit (not epochs: sample counts vary)
    batch_size: int = 512
    lr: float = 2e-3
    weight_decay: float = 0.0
    threads: int = 1


def _sample_states(item: Item, policy_fn, cfg: DCLConfig, rng_seed: int):
    sim = InventorySimulator(cfg.sample_envs, item.demand_source(), item.holding_cost,
                             item.shortage_cost, item.lead_time, seed=rng_seed)
    sim.reset(on_hand=int(round(item.mean * (item.lead_time + 1))))
    states = []
    t = 0
    while sum(s.shape[0] for s in states) < cfg.states_per_item:
        sim.step(policy_fn(sim))
        t += 1
        if t >= cfg.sample_warmup and t % cfg.sample_every == 0:
            states.append(sim.observe()[:, :item.lead_time + 1].copy())
    return np.concatenate(states)[:cfg.states_per_item]


def _label_states(item: Item, states: np.ndarray, base_order_fn, rollout_policy_fn,
                  cfg: DCLConfig, seed: int) -> np.ndarray:
    """Rollout cost of each candidate order (action index) relative to the current
    policy's order, by CRN rollouts that follow the current policy afterwards."""
    S, L = states.shape[0], item.lead_time
    base = base_order_fn(states)  # action indices of the current policy
    offsets = np.arange(-cfg.window, cfg.window + 1)
    cand = np.clip(base[:, None] + offsets[None, :], 0, cfg.n_actions - 1)   # (S, A)
    A, M, H = cand.shape[1], cfg.rollouts, L + 1 + cfg.horizon_extra
    rng = np.random.default_rng(seed)
    demand = item.draw(rng, (S, 1, M, H))
    demand = np.broadcast_to(demand, (S, A, M, H)).reshape(S * A * M, H)
    n = S * A * M
    sim = InventorySimulator(n, ReplayDemand(demand), item.holding_cost, item.shortage_cost,
                             L, max_lead_time=max(L, 1), seed=seed)
    st = np.repeat(states, A * M, axis=0)
    sim.reset(on_hand=st[:, 0], pipeline=st[:, 1:L] if L > 1 else None)
    unit = float(order_unit(item.mean))
    first = np.rint(np.repeat(cand, M, axis=1).reshape(-1) * unit)
    total = sim.step(first).cost.astype(float)
    for _ in range(H - 1):
        total += sim.step(rollout_policy_fn(sim)).cost
    q = total.reshape(S, A, M).mean(2)
    return cand, q - q[:, [cfg.window]]   # cost relative to the current policy's order


def _fit_q(net: PolicyNet, x, cand, q, cfg: DCLConfig, gen: torch.Generator):
    """Regress the rollout cost deltas of the candidate orders (masked MSE). Each single
    estimate is noisy; the regression pools nearby states, which denoises the labels."""
    dev = next(net.parameters()).device
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.fit_steps)
    for _ in range(cfg.fit_steps):
        idx = torch.randint(0, x.shape[0], (cfg.batch_size,), generator=gen)
        pred = net(x[idx].to(dev)).gather(1, cand[idx].to(dev))
        pred = pred - pred[:, [cfg.window]]
        loss = ((pred - q[idx].to(dev)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return float(loss.detach())


def _fit(net: PolicyNet, x: torch.Tensor, y: torch.Tensor, cfg: DCLConfig, gen: torch.Generator):
    dev = next(net.parameters()).device
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.fit_steps)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(cfg.fit_steps):
        idx = torch.randint(0, x.shape[0], (cfg.batch_size,), generator=gen)
        loss = loss_fn(net(x[idx].to(dev)), y[idx].to(dev))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        acc = float((net(x.to(dev)).argmax(1).cpu() == y).float().mean())
    return float(loss.detach()), acc


@dataclass
class TrainLog:
    config: dict
    rounds: list = field(default_factory=list)
    seconds: float = 0.0


def train_dcl(items: list[Item], initial_policies: list, cfg: DCLConfig = DCLConfig(),
              log=print) -> tuple[PolicyNet, TrainLog]:
    """``initial_policies[i](sim) -> orders``: the policy round 1 improves on, per item
    (e.g. the best capped base-stock). Later rounds improve on the network itself."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    dev = device()
    net = PolicyNet(cfg.n_actions, cfg.hidden, cfg.layers).to(dev)
    out = TrainLog(asdict(cfg))
    t_start = time.perf_counter()
    current = None  # None: use the initial heuristics
    for rnd in range(cfg.iterations):
        xs, cands, qs = [], [], []
        t0 = time.perf_counter()
        for i, item in enumerate(items):
            seed = cfg.seed * 100003 + rnd * 1009 + i
            if current is None:
                heur = initial_policies[i]
                pol = heur
                unit = float(order_unit(item.mean))

                def base_idx(states, heur=heur, item=item, unit=unit):
                    tmp = InventorySimulator(states.shape[0], PoissonDemand(item.mean),
                                             item.holding_cost, item.shortage_cost,
                                             item.lead_time, max_lead_time=max(item.lead_time, 1))
                    tmp.reset(on_hand=states[:, 0],
                              pipeline=states[:, 1:item.lead_time] if item.lead_time > 1 else None)
                    return np.clip(np.rint(heur(tmp) / unit), 0, cfg.n_actions - 1).astype(int)
            else:
                pol = _lazy_items_policy(current, item)

                def base_idx(states, item=item):
                    return current.act(features(states, np.full(len(states), item.mean),
                                                item.lead_time, item.shortage_cost,
                                                item.holding_cost, item.demand_cv))
            states = _sample_states(item, pol, cfg, seed)
            cand, qd = _label_states(item, states, base_idx, pol, cfg, seed + 7)
            xs.append(features(states, np.full(len(states), item.mean), item.lead_time,
                               item.shortage_cost, item.holding_cost, item.demand_cv))
            cands.append(torch.as_tensor(cand, dtype=torch.long))
            qs.append(torch.as_tensor(qd, dtype=torch.float32))
        x, cand, q = torch.cat(xs), torch.cat(cands), torch.cat(qs)
        t_label = time.perf_counter() - t0
        # 1) denoise: fit the cost of each order; 2) label each state with the cheapest
        # candidate under the fitted costs; 3) fit the policy (a classifier) to those labels.
        qnet = PolicyNet(cfg.n_actions, cfg.hidden, cfg.layers).to(dev)
        q_loss = _fit_q(qnet, x, cand, q, cfg, gen)
        with torch.no_grad():
            fitted = torch.cat([qnet(x[i:i + 65536].to(dev)).cpu() for i in range(0, len(x), 65536)])
        y = cand.gather(1, fitted.gather(1, cand).argmin(1, keepdim=True))[:, 0]
        raw = cand.gather(1, q.argmin(1, keepdim=True))[:, 0]
        net = PolicyNet(cfg.n_actions, cfg.hidden, cfg.layers).to(dev)  # fresh fit per round
        loss, acc = _fit(net, x, y, cfg, gen)
        net.eval()
        current = net
        rec = dict(round=rnd + 1, samples=int(x.shape[0]), label_seconds=round(t_label, 1),
                   fit_seconds=round(time.perf_counter() - t0 - t_label, 1), q_loss=q_loss,
                   policy_loss=loss, train_acc=acc,
                   denoised_vs_raw_agreement=float((y == raw).float().mean()))
        out.rounds.append(rec)
        log(f"[dcl] round {rnd + 1}: {rec}")
    out.seconds = time.perf_counter() - t_start
    return net, out


def tune_capped_base_stock(item: Item, episodes: int = 40, periods: int = 1500,
                           warmup: int = 100, seed: int = 0) -> tuple[int, int]:
    """Best (S, r) of the capped base-stock policy for ``item`` by a common-random-number
    grid search in the simulator (the starting policy of round 1)."""
    rng = np.random.default_rng(seed)
    demand = item.draw(rng, (episodes, warmup + periods))
    L, m = item.lead_time, item.mean
    sd = item.demand_cv * m * math.sqrt(L + 1)
    S_vals = np.unique(np.rint(np.linspace(max(m * (L + 1) - sd, 0), m * (L + 1) + 4 * sd + 2, 24)))
    r_vals = np.unique(np.rint(np.linspace(max(m * 0.8, 1), m * 3 + 3, 10)))
    grid = [(S, r) for S in S_vals for r in r_vals]
    G = len(grid)
    rows = np.tile(np.arange(episodes), G)
    sim = InventorySimulator(episodes * G, ReplayDemand(demand, rows=rows), item.holding_cost,
                             item.shortage_cost, L, max_lead_time=max(L, 1))
    sim.reset(on_hand=int(round(m * (L + 1))))
    S = np.repeat([g[0] for g in grid], episodes)
    r = np.repeat([g[1] for g in grid], episodes)
    pol = capped_base_stock(S, r)
    total = np.zeros(episodes * G)
    for t in range(warmup + periods):
        c = sim.step(pol(sim)).cost
        if t >= warmup:
            total += c
    best = int(np.argmin(total.reshape(G, episodes).mean(1)))
    return int(grid[best][0]), int(grid[best][1])


def _lazy_items_policy(net, item: Item):
    """Policy for a simulator whose episodes all hold ``item`` (any n)."""
    def policy(sim):
        a = net.act(features(sim.observe(), np.full(sim.n, item.mean), item.lead_time,
                             item.shortage_cost, item.holding_cost, item.demand_cv))
        return np.rint(a * float(order_unit(item.mean)))
    return policy


def save(net: PolicyNet, path, meta: dict | None = None):
    torch.save({"state_dict": net.state_dict(), "n_actions": net.n_actions,
                "hidden": net.body[0].out_features,
                "layers": sum(isinstance(m, nn.Linear) for m in net.body) - 1,
                "meta": meta or {}}, path)


def load(path) -> PolicyNet:
    ck = torch.load(path, map_location=device(), weights_only=True)  # data only: a file never runs code
    net = PolicyNet(ck["n_actions"], ck["hidden"], ck["layers"]).to(device())
    net.load_state_dict(ck["state_dict"])
    net.eval()
    return net
