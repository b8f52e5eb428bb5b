"""Lost-sales benchmark (Zipkin 2008): exact optimum vs classical heuristics vs the RL policy.

    python -m bench.rl --suite lost-sales [--json var/bench/rl_lost_sales.json]

Instances: Poisson demand (mean 5), h = 1, p in {4, 9, 19, 39}, L in {1, 2, 3, 4} (exact
value iteration available) and L in {6, 8, 10} (too large for it: no optimum, RL is
compared with capped base-stock). Policies, each simulated on the same demand paths
(common random numbers) for ``--episodes`` x ``--periods`` periods after a warm-up:
  optimal            the value-iteration policy (and its exact long-run cost)
  best_base_stock    order up to S, S chosen on a separate selection sample
  capped_base_stock  order min(r, (S - position)+) (Xin 2021), best (S, r) on the selection sample
  myopic             Zipkin's myopic policy
  rl                 one global network for all instances (replenishment.rl.agent, deep controlled learning)
Costs are long-run average per period with the standard error across independent episodes;
gaps to optimal are paired (same paths), with their own standard error.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

from replenishment.rl import agent
from replenishment.rl.demand import ReplayDemand
from replenishment.rl.exact import default_max_position, solve_lost_sales
from replenishment.rl.heuristics import MyopicPolicy, base_stock, capped_base_stock, exact_policy
from replenishment.rl.simulator import InventorySimulator

MEAN, H = 5.0, 1.0


def simulate(policy, demand: np.ndarray, L: int, p: float, warmup: int, tile: int = 1):
    """Per-episode mean cost of ``policy`` on the demand matrix (episodes, warmup+periods),
    replicated ``tile`` times (for grids: tile g uses episodes [g*E, (g+1)*E))."""
    E = demand.shape[0]
    rows = np.tile(np.arange(E), tile)
    sim = InventorySimulator(E * tile, ReplayDemand(demand, rows=rows), H, p, L,
                             max_lead_time=max(L, 1))
    sim.reset(on_hand=int(MEAN * (L + 1)))
    total = np.zeros(E * tile)
    for t in range(demand.shape[1]):
        c = sim.step(policy(sim)).cost
        if t >= warmup:
            total += c
    return total / (demand.shape[1] - warmup)


def grid_best(make_policy, grid: list[tuple], demand, L, p, warmup):
    """Evaluate every grid point on the same paths; return the best point and its cost."""
    E = demand.shape[0]
    cols = list(zip(*grid))
    params = [np.repeat(np.asarray(c), E) for c in cols]
    per_ep = simulate(make_policy(*params), demand, L, p, warmup, tile=len(grid))
    means = per_ep.reshape(len(grid), E).mean(1)
    k = int(np.argmin(means))
    return grid[k], float(means[k])


def summary(per_episode: np.ndarray, ref: np.ndarray | None = None) -> dict:
    d = {"mean": float(per_episode.mean()),
         "se": float(per_episode.std(ddof=1) / np.sqrt(per_episode.size))}
    if ref is not None:
        diff = 100.0 * (per_episode - ref) / ref.mean()
        d["gap_pct"] = float(diff.mean())
        d["gap_se_pct"] = float(diff.std(ddof=1) / np.sqrt(diff.size))
    return d


def run(args):
    torch.set_num_threads(args.threads)
    instances = [(L, p) for L in args.lead_times for p in args.penalties]
    rng_sel = np.random.default_rng(args.seed)
    rng_eval = np.random.default_rng(args.seed + 1)
    prep = {}
    t0 = time.perf_counter()
    for L, p in instances:
        sel = rng_sel.poisson(MEAN, (args.select_episodes, args.warmup + args.select_periods))
        U = default_max_position(MEAN, L, H, p) + 6
        lo = max(int(MEAN * L), 0)
        S_grid = [(S,) for S in range(lo, U + 1)]
        (S_bs,), _ = grid_best(lambda S: base_stock(S), S_grid, sel, L, p, args.warmup)
        cbs_grid = [(S, r) for S in range(lo, U + 8) for r in range(2, int(3 * MEAN) + 1)]
        (S_c, r_c), _ = grid_best(lambda S, r: capped_base_stock(S, r), cbs_grid, sel, L, p, args.warmup)
        prep[(L, p)] = dict(S_bs=S_bs, S_cbs=S_c, r_cbs=r_c)
        print(f"[select] L={L} p={p}: base-stock S={S_bs}; capped S={S_c}, r={r_c}", flush=True)
    t_select = time.perf_counter() - t0

    items = [agent.Item(MEAN, L, p, H) for L, p in instances]
    init = [capped_base_stock(prep[k]["S_cbs"], prep[k]["r_cbs"]) for k in instances]
    cfg = agent.DCLConfig(seed=args.seed, iterations=args.rounds, states_per_item=args.states,
                          rollouts=args.rollouts, threads=args.threads, fit_steps=args.fit_steps)
    if args.load and os.path.exists(args.load):
        net, train_seconds, train_log = agent.load(args.load), 0.0, {"loaded": args.load}
    else:
        net, log = agent.train_dcl(items, init, cfg)
        train_seconds, train_log = log.seconds, {"config": log.config, "rounds": log.rounds}
        if args.save:
            os.makedirs(os.path.dirname(args.save) or ".", exist_ok=True)
            agent.save(net, args.save, {"suite": "lost-sales", "instances": instances})

    rows = []
    for L, p in instances:
        k = (L, p)
        dem = rng_eval.poisson(MEAN, (args.episodes, args.warmup + args.periods))
        res = {"L": L, "p": p}
        sol = None
        if L <= args.max_exact_lead_time:
            try:
                sol = solve_lost_sales(L, p, H, MEAN)
            except ValueError as e:
                res["optimal_note"] = str(e)
        pols = {}
        if sol is not None:
            pols["optimal"] = exact_policy(sol)
        pols["best_base_stock"] = base_stock(prep[k]["S_bs"])
        pols["capped_base_stock"] = capped_base_stock(prep[k]["S_cbs"], prep[k]["r_cbs"])
        pols["myopic"] = MyopicPolicy(MEAN, L, H, p)
        pols["rl"] = agent._lazy_items_policy(net, agent.Item(MEAN, L, p, H))
        per_ep = {name: simulate(pol, dem, L, p, args.warmup) for name, pol in pols.items()}
        ref = per_ep.get("optimal")
        for name, v in per_ep.items():
            res[name] = summary(v, ref)
        if sol is not None:
            res["optimal"]["exact"] = sol.average_cost
            res["optimal"]["states"] = int(len(sol.states))
        else:
            res["optimal"] = None
            res.setdefault("optimal_note", f"L={L}: value iteration out of reach (state space ~U^L/L!)")
        res["best_base_stock"]["S"] = prep[k]["S_bs"]
        res["capped_base_stock"].update(S=prep[k]["S_cbs"], r=prep[k]["r_cbs"])
        # RL vs capped base-stock on the same paths
        d = 100 * (per_ep["rl"] - per_ep["capped_base_stock"]) / per_ep["capped_base_stock"].mean()
        res["rl_vs_capped_pct"] = float(d.mean())
        res["rl_vs_capped_se_pct"] = float(d.std(ddof=1) / np.sqrt(d.size))
        res["rl_gap_pct"] = res["rl"].get("gap_pct")
        rows.append(res)
        print(_row(res), flush=True)
    return rows, dict(select_seconds=t_select, train_seconds=train_seconds, train=train_log)


def _fmt(d, key="mean"):
    return "      -" if d is None else f"{d[key]:7.3f}"


def _row(r):
    gap = lambda name: ("   -  " if r[name] is None or "gap_pct" not in r[name]  # noqa: E731
                        else f"{r[name]['gap_pct']:6.2f}")
    exact = f"{r['optimal']['exact']:7.3f}" if r["optimal"] else "      -"
    return (f"L={r['L']:2d} p={r['p']:2d} | exact {exact} | opt {_fmt(r['optimal'])} | "
            f"BS {_fmt(r['best_base_stock'])} ({gap('best_base_stock')}%) | "
            f"CBS {_fmt(r['capped_base_stock'])} ({gap('capped_base_stock')}%) | "
            f"myopic {_fmt(r['myopic'])} ({gap('myopic')}%) | RL {_fmt(r['rl'])} ({gap('rl')}%) "
            f"+-{r['rl']['se']:.3f} | RL-CBS {r['rl_vs_capped_pct']:+.2f}% +-{r['rl_vs_capped_se_pct']:.2f}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", choices=["lost-sales"], default="lost-sales")
    ap.add_argument("--lead-times", type=int, nargs="+", default=[1, 2, 3, 4, 6, 8, 10])
    ap.add_argument("--penalties", type=float, nargs="+", default=[4, 9, 19, 39])
    ap.add_argument("--max-exact-lead-time", type=int, default=4)
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--periods", type=int, default=5000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--select-episodes", type=int, default=40)
    ap.add_argument("--select-periods", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--states", type=int, default=3000)
    ap.add_argument("--rollouts", type=int, default=64)
    ap.add_argument("--fit-steps", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--save", default="var/bench/rl_lost_sales_policy.pt")
    ap.add_argument("--load", default=None, help="evaluate a saved policy instead of training")
    ap.add_argument("--json", default="var/bench/rl_lost_sales.json")
    args = ap.parse_args(argv)
    args.penalties = [int(p) if float(p).is_integer() else p for p in args.penalties]
    t0 = time.perf_counter()
    rows, meta = run(args)
    exact_rows = [r for r in rows if r["optimal"]]
    summary_ = {}
    if exact_rows:
        for name in ("best_base_stock", "capped_base_stock", "myopic", "rl"):
            summary_[f"{name}_mean_gap_pct"] = float(np.mean([r[name]["gap_pct"] for r in exact_rows]))
    summary_["rl_beats_capped_on"] = sum(r["rl_vs_capped_pct"] < 0 for r in rows)
    summary_["instances"] = len(rows)
    print("\nmean gap to optimal over L<=%d: " % args.max_exact_lead_time +
          ", ".join(f"{k}={v:.3f}" for k, v in summary_.items() if k.endswith("pct")))
    print(f"RL below capped base-stock on {summary_['rl_beats_capped_on']}/{len(rows)} instances; "
          f"training {meta['train_seconds']:.0f}s for all instances, total {time.perf_counter() - t0:.0f}s")
    out = {"suite": args.suite, "settings": {k: v for k, v in vars(args).items()},
           "summary": summary_, "meta": meta,
           "instances": [{**r, "optimal": (r["optimal"] or {}).get("exact") if r["optimal"] else None,
                          "optimal_sim": r["optimal"],
                          "best_base_stock": r["best_base_stock"]["mean"],
                          "capped_base_stock": r["capped_base_stock"]["mean"],
                          "myopic": r["myopic"]["mean"], "rl": r["rl"]["mean"],
                          "detail": {k: r[k] for k in ("best_base_stock", "capped_base_stock", "myopic", "rl")}}
                         for r in rows]}
    os.makedirs(os.path.dirname(args.json) or ".", exist_ok=True)
    with open(args.json, "w") as f:
        json.dump(out, f, indent=1, default=float)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
