"""The product picks each pair's ordering method by replaying the shop's own history.

``replay_history`` replays the last ``periods`` weeks (or days) of every product x warehouse
with each method the product can run, at the pair's own costs, lead time (mean and spread)
and MOQ / pack, through the one replay (``replenishment.policies.replay``). It stores a
``PolicyReplay`` row per pair and method and, unless told not to, sets each pair's method:

* the methods: ``base_stock`` (the product's default: order up to the fractile of the
  protection-interval demand), ``base_stock_tuned`` (order up to the forecast's centre + k x its
  scale, k per demand class tuned on these periods' replayed cost: ``_tune_safety_factor``; only
  with a forecast in force and at least 20 pairs), ``base_stock_ma`` (the normal approximation of
  the last 8 periods), ``order_sold`` (re-order what sold), and ``rl`` (the learned policy, only
  when one has been trained: a method that cannot run is never replayed, so never chosen);
* the demand ``base_stock``, ``base_stock_tuned`` and ``rl`` see at a past decision is what they would have seen
  live: the calibrated forecast of the run in force that day, rebuilt from its model version
  (``replay_demand.py``, ``forecasting/in_force.py``). A decision with none (no run yet, a pair
  the run did not forecast, a run without calibration) falls back to the sales history: the
  empirical sums of the pair's recent sales for base-stock, the last 8 periods' mean and spread
  for the learned policy. The run records how many decisions read which;
* the choice: ``replenishment.policies.selection``: per demand class, a method replaces
  base-stock only if it is at least ``STOCKCAST_REPLAY_MARGIN`` (unset: the rule's own
  ``CLASS_MARGIN``, 5 %) cheaper over the class,
  with a paired t above 2 across the class's pairs; per pair that sold in at least half the
  periods, its own cheapest method replaces the class's choice only if it is 10 % cheaper for
  that pair, with a paired t above 2 over the periods;
* a pair whose method staff set (``ReorderPolicy.method_source = staff``) keeps it; the
  replay writes only methods it chose itself, and pairs without a policy get one.

The replay sees only history up to ``as_of``: what happens after it cannot move the choice.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
from django.conf import settings
from django.db import transaction

from forecasting.ml.classify import classify
from inventory.selectors import demand_history, last_sales_day

from . import inputs
from .errors import ReplenishmentError
from .learned import _load_net, _rl_code, rl_policy_path
from .models import PolicyReplay, PolicyReplayRun, ReorderPolicy
from .policies.periodic import MA_WINDOW, moving_average_level, order_up_to, past_stats
from .policies.replay import replay
from .policies.selection import CLASS_MARGIN, select_methods
from .policies.tuning import FACTORS, MIN_SERIES, cost_by_factor, factor_for, tuned_factors, tuned_level
from .replay_demand import decision_days, forecast_demand
from .replay_start import start_state

Method = ReorderPolicy.Method
PERIOD_DAYS = {"W": 7, "D": 1}
MAX_PERIODS = {"W": 104, "D": 366}
EMPIRICAL_WINDOW = 52       # periods of history the base-stock method's empirical sums come from
KEEP_RUNS = 10


def _period_matrix(daily: dict, keys, as_of: date, days_per: int, n_periods: int):
    """(N, n_periods) units per period ending at ``as_of``; NaN where a period holds an
    out-of-stock day or lies before the pair's first record."""
    total = n_periods * days_per
    out = np.full((len(keys), total), np.nan)
    for i, key in enumerate(keys):
        series = daily.get(key)
        if series is None:
            continue
        series = series[-total:]
        out[i, total - series.size:] = series
    days = out.reshape(len(keys), n_periods, days_per)
    return np.where(np.isnan(days).any(2), np.nan, np.nan_to_num(days).sum(2))


def _empirical_levels(y, observed, end, horizon, fractile, window=EMPIRICAL_WINDOW):
    """Per series: the ``fractile`` quantile of the sums of ``horizon`` consecutive observed
    periods among the last ``window`` before column ``end`` (the product's history demand)."""
    N = y.shape[0]
    S = np.zeros(N)
    lo = max(0, end - window)
    for H in np.unique(horizon):
        rows = np.flatnonzero(horizon == H)
        w = np.where(observed[rows, lo:end], y[rows, lo:end], np.nan)
        if w.shape[1] < H:
            S[rows] = np.nan_to_num(np.nanmean(w, axis=1)) * H if w.shape[1] else 0
            continue
        sums = np.lib.stride_tricks.sliding_window_view(w, int(H), axis=1).sum(-1)   # NaN if any period censored
        for j, r in enumerate(rows):
            ok = sums[j][~np.isnan(sums[j])]
            S[r] = np.quantile(ok, fractile[r], method="inverted_cdf") if ok.size else 0.0
    return S


def replay_history(periods: int = 8, freq: str = "W", as_of: date | None = None, seed: int = 0,
                   apply: bool = True, log=None) -> PolicyReplayRun:
    freq = (freq or "W").upper()
    if freq not in PERIOD_DAYS:
        raise ReplenishmentError(f"freq must be W or D, got {freq!r}")
    if not 1 <= int(periods) <= MAX_PERIODS[freq]:
        raise ReplenishmentError(f"periods must be between 1 and {MAX_PERIODS[freq]} for freq {freq}, got {periods}")
    as_of = as_of or last_sales_day()
    if as_of is None:
        raise ReplenishmentError("There is no sales history to replay.")
    say = log or (lambda message: None)
    k = PERIOD_DAYS[freq]
    P = int(periods)
    n = P + max(EMPIRICAL_WINDOW, MA_WINDOW) + 1
    pairs = inputs.pairs()
    daily = demand_history([p.key for p in pairs], as_of - timedelta(days=n * k - 1), as_of)
    skipped = {"no sales history up to as_of": sum(1 for p in pairs if p.key not in daily)}
    pairs = [p for p in pairs if p.key in daily]
    say(f"replaying {len(pairs)} pairs over the last {P} {'weeks' if freq == 'W' else 'days'} to {as_of} "
        f"({skipped['no sales history up to as_of']} without sales history skipped)")
    if not pairs:
        run = PolicyReplayRun.objects.create(as_of=as_of, freq=freq, periods=P, pairs=0, skipped=skipped)
        return run
    keys = [p.key for p in pairs]
    y = _period_matrix(daily, keys, as_of, k, n)
    observed = ~np.isnan(y)
    N, T = y.shape
    T0 = T - P
    costs = [inputs.costs_for(p.product, p.policy) for p in pairs]
    # the replay's period is its review period: holding is priced per replayed period
    h = np.array([c.holding * k / c.review_days for c in costs])
    sl = np.array([c.fractile for c in costs])
    pcost = np.where(np.array([c.service_level is not None for c in costs]), h * sl / (1 - sl),
                     np.array([c.shortage for c in costs]))
    L = np.array([max(round(p.lead_days / k), 0) for p in pairs])
    L_std = np.array([p.lead_std / k for p in pairs])
    pack = np.array([p.product.pack_size or 1 for p in pairs])
    moq = np.array([p.product.minimum_order for p in pairs])
    H = L + 1
    m8, _ = past_stats(y, observed, T0, MA_WINDOW)
    # where the shop stood at the end of the origin day (the ledger's), else an estimate
    start = start_state(keys, as_of - timedelta(days=P * k), as_of, k, L, m8)
    on_hand0, pipe0 = start.on_hand, start.pipeline
    say(f"  starting stock: {int(start.from_ledger.sum()):,} pairs from the stock ledger, "
        f"{int((~start.from_ledger).sum()):,} estimated (the last {MA_WINDOW} periods' mean)")

    cols = range(T0 - 1, T - 1)
    # base-stock and the learned policy decide from the forecast in force that day where there was one
    # (replay_demand.py), from the sales history where there was none
    fc = forecast_demand(keys, daily, as_of, k, decision_days(as_of, k, T, T0 - 1, T - 2), H, sl, say,
                         lead_std_days=L_std * k)
    sources = {"forecast": fc.decided, "sales_history": N * P - fc.decided, "runs": fc.runs}
    say(f"  base-stock and the learned policy: {fc.decided:,} of {N * P:,} decisions from the forecast in force "
        f"(runs {fc.runs or 'none'}), the rest from the sales history")
    levels = {Method.BASE_STOCK: {c: np.where(np.isnan(fc.level[:, c - T0 + 1]),
                                              _empirical_levels(y, observed, c + 1, H, sl), fc.level[:, c - T0 + 1])
                                  for c in cols},
              Method.MOVING_AVERAGE: {c: moving_average_level(y, observed, c + 1, H, sl) for c in cols}}
    deciders = {name: (lambda lv: lambda s: order_up_to(lv[T0 - 1 + s.t], s))(lv) for name, lv in levels.items()}
    deciders[Method.ORDER_WHAT_SOLD] = lambda s: s.sold
    policy_file = rl_policy_path()
    if policy_file.exists():
        rl = _rl_code()
        net = _load_net(str(policy_file), policy_file.stat().st_mtime)

        def rl_decide(s):
            m, sd = past_stats(y, observed, T0 + s.t, MA_WINDOW)
            m = np.maximum(m, 0.05)
            cv = np.maximum(sd / m, 0.05)
            known = ~np.isnan(fc.mean[:, s.t])
            m, cv = np.where(known, fc.mean[:, s.t], m), np.where(known, fc.cv[:, s.t], cv)
            obs = rl.observation.replay_observation(s.on_hand, s.pipeline, L)
            pol = rl.agent.NetworkPolicy(net, m, L, pcost, h, cv)
            return np.rint(pol.action_index(obs) * rl.agent.order_unit(m))
        deciders[Method.RL] = rl_decide

    def play(decide):
        return replay(y[:, T0:], decide, L, h, pcost, on_hand0, pipe0, lead_time_std=L_std, pack_size=pack,
                      moq=moq, seed=seed, history_sold=np.nan_to_num(y[:, T0 - 1]))

    results = {}
    for name, decide in deciders.items():
        results[name] = play(decide)
        say(f"  {name}: total cost {results[name].total.sum():,.2f}")
    classes = classify(np.where(observed[:, :T0], y[:, :T0], np.nan), window=None)
    tuned, factors = _tune_safety_factor(fc, levels[Method.BASE_STOCK], classes, play, T0, say), {}
    if tuned is not None:
        results[Method.BASE_STOCK_TUNED], factors = tuned
        say(f"  {Method.BASE_STOCK_TUNED}: total cost {results[Method.BASE_STOCK_TUNED].total.sum():,.2f}")
    share = (np.nan_to_num(y[:, T0:]) > 0).mean(1)
    chosen, by_class = select_methods({m: r.total for m, r in results.items()}, classes, share, Method.BASE_STOCK,
                                      class_margin=(CLASS_MARGIN if settings.STOCKCAST_REPLAY_MARGIN is None
                                                    else float(settings.STOCKCAST_REPLAY_MARGIN)),
                                      per_period={m: r.by_period for m, r in results.items()})
    return _store(as_of, freq, P, pairs, results, classes, chosen, by_class, skipped, sources,
                  int(start.from_ledger.sum()), factors, apply, say)


def _tune_safety_factor(fc, fractile_levels: dict, classes, play, T0: int, say):
    """The cost-tuned base-stock method (policies/tuning.py): order up to centre + k x scale of the
    forecast in force, k per demand class the factor whose replay over these periods cost least.
    A decision with no forecast in force orders as base-stock does (its level from the sales
    history: there is no centre and scale to tune). -> (its replay, the factors) or None where it
    cannot be tuned: no forecast in force at any decision, or fewer pairs than a class needs
    (MIN_SERIES), whose pooled factor would fit noise.

    The factor is tuned on the periods the selection then compares the methods on (in sample, as
    ``bench.replenish`` measures the rule): the selection's margin and significance test stand
    between that and a change of method."""
    N = len(classes)
    if fc.decided == 0 or N < MIN_SERIES:
        return None

    def deciders_at(k):
        lv = {c: np.where(np.isnan(fc.centre[:, c - T0 + 1]), fallback,
                          tuned_level(fc.centre[:, c - T0 + 1], fc.scale[:, c - T0 + 1], k))
              for c, fallback in fractile_levels.items()}
        return lambda s: order_up_to(lv[T0 - 1 + s.t], s)

    say(f"  {Method.BASE_STOCK_TUNED}: replaying {len(FACTORS)} safety factors ({FACTORS[0]:+.1f} to {FACTORS[-1]:+.1f})")
    costs = cost_by_factor(lambda k: play(deciders_at(k)).total)
    factors = tuned_factors(costs, classes)
    say("  cost-tuned safety factor by demand class: "
        + ", ".join(f"{c} {k:+.1f}" for c, k in factors["factors"].items()))
    return play(deciders_at(factor_for(factors, classes))), factors


def _store(as_of, freq, P, pairs, results, classes, chosen, by_class, skipped, sources, from_ledger, tuned_factors_,
           apply, say) -> PolicyReplayRun:
    """One transaction: the run, its rows, the pairs' methods, and pruning old runs."""
    warehouses = sorted({p.warehouse.code for p in pairs})
    wh_index = np.array([p.warehouse.code for p in pairs])
    by_warehouse = {w: {m: round(float(r.total[wh_index == w].sum()), 2) for m, r in results.items()}
                    for w in warehouses}
    totals = {m: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.summary().items() if k != "per_period"}
              for m, r in results.items()}
    counts = {m: int((chosen == m).sum()) for m in results if (chosen == m).any()}
    with transaction.atomic():
        run = PolicyReplayRun.objects.create(
            as_of=as_of, freq=freq, periods=P, pairs=len(pairs), skipped=skipped, totals=totals, demand_sources=sources,
            started_from_ledger=from_ledger, tuned_factors=tuned_factors_,
            by_warehouse=by_warehouse, selected={"pairs": counts, "by_class": by_class}, applied=apply)
        rows = []
        for i, pair in enumerate(pairs):
            for m, r in results.items():
                rows.append(PolicyReplay(
                    run=run, product=pair.product, warehouse=pair.warehouse, method=m, demand_class=str(classes[i]),
                    total_cost=float(r.total[i]), holding_cost=float(r.holding[i]), shortage_cost=float(r.shortage[i]),
                    fill_rate=float(r.fill_rate[i]), units_ordered=float(r.ordered[i]), selected=chosen[i] == m))
        PolicyReplay.objects.bulk_create(rows, batch_size=5000)
        kept = changed = 0
        if apply:
            new, moves = [], {}
            for i, pair in enumerate(pairs):
                pol = pair.policy
                if pol is not None and pol.method_source == ReorderPolicy.MethodSource.STAFF:
                    kept += 1
                elif pol is None:
                    new.append(ReorderPolicy(product=pair.product, warehouse=pair.warehouse, method=chosen[i],
                                             method_source=ReorderPolicy.MethodSource.REPLAY))
                elif pol.method != chosen[i]:
                    moves.setdefault(chosen[i], []).append(pol.pk)
            ReorderPolicy.objects.bulk_create(new, batch_size=5000)
            for method, ids in moves.items():
                ReorderPolicy.objects.filter(pk__in=ids).update(method=method)
            changed = len(new) + sum(len(v) for v in moves.values())
        run.selected = {**run.selected, "kept_staff_choice": kept, "changed": changed}
        run.save(update_fields=["selected"])
        old = list(PolicyReplayRun.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[KEEP_RUNS:])
        if old:
            PolicyReplayRun.objects.filter(pk__in=old).delete()
    say(f"chose {counts} (by class {by_class}); {changed} pair(s) changed, {kept} kept the method staff set")
    return run


class SafetyFactor(NamedTuple):
    """The cost-tuned base-stock method's factor for one pair, and where it came from."""

    value: float
    demand_class: str       # the class whose factor it is ("*": pooled over the replay's pairs)
    run: PolicyReplayRun


def latest_replay_run() -> PolicyReplayRun | None:
    return PolicyReplayRun.objects.order_by("-created_at", "-id").first()


def safety_factor(run: PolicyReplayRun | None, replayed: dict | None) -> SafetyFactor | None:
    """The factor a pair's live ``base_stock_tuned`` decision orders with: that of the demand class
    the latest replay put the pair in (``replayed``: its rows of that run), the pooled factor for a
    pair it did not replay or a class it did not tune on its own; None when it tuned none."""
    if run is None or not run.tuned_factors.get("factors"):
        return None
    factors = run.tuned_factors["factors"]
    cls = next(iter(replayed.values())).demand_class if replayed else None
    cls = cls if cls in factors else "*"
    return SafetyFactor(float(factors[cls]), cls, run)


def latest_replay_rows(keys, run: PolicyReplayRun | None = None) -> dict:
    """{(product id, warehouse id): {method: PolicyReplay}} from ``run`` (default: the latest replay run)."""
    run = run or latest_replay_run()
    if run is None:
        return {}
    out: dict = {}
    wanted = set(keys)
    rows = PolicyReplay.objects.select_related("run").filter(run=run, product_id__in={k[0] for k in wanted},
                                       warehouse_id__in={k[1] for k in wanted})
    for row in rows:
        key = (row.product_id, row.warehouse_id)
        if key in wanted:
            out.setdefault(key, {})[row.method] = row
    return out
