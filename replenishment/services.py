"""The replenishment run: read the inputs, decide for every pair, fit the decisions to the
budgets and capacities, and write the pending suggestions (superseding the old ones).

Where each step lives: ``inputs`` (pairs, history, forecasts, costs), ``decisions`` (one
pair's order, the order-by date, the constraints), ``explain`` (the planner's sentence),
``approvals`` (staff turning suggestions into purchase orders), ``learned`` (the RL policy).
"""
from __future__ import annotations

from datetime import date, timedelta

from django.db import connection, transaction
from django.utils import timezone

from inventory_site import progress

from . import inputs
from .decisions import apply_constraints, decide, order_by
from .explain import explain
from .models import ReorderSuggestion
from .replays import latest_replay_rows, latest_replay_run, safety_factor
from .revisions import SUGGESTIONS

ANALYZE_AFTER_ROWS = 10_000  # suggestions written by one run that refresh the table's planner statistics


def pair_seed(key: tuple[int, int]) -> int:
    """A pair's own random stream, whichever run or shard decides it (an index in the run's
    list of pairs would give a pair another stream in a run split by warehouse)."""
    product_id, warehouse_id = key
    return (product_id * 7919 + warehouse_id) % 2**31


def warehouse_shards(n_shards: int) -> list[list[int]]:
    """The warehouses with pairs to decide, in at most ``n_shards`` groups of about equal pairs
    (largest first into the smallest group). A warehouse is never split: its constraints (each
    supplier's budget there, its capacity) are decided together."""
    sizes = inputs.pairs_per_warehouse()
    groups: list[tuple[int, list[int]]] = [(0, []) for _ in range(max(1, min(n_shards, len(sizes))))]
    for warehouse_id, n in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        total, ids = min(groups, key=lambda g: g[0])
        groups[groups.index((total, ids))] = (total + n, ids + [warehouse_id])
    return [sorted(ids) for _, ids in groups if ids]


def run_replenishment(as_of: date | None = None, budgets: dict | None = None, products=None,
                      warehouses=None, seed: int = 0) -> list[ReorderSuggestion]:
    """Write a fresh pending suggestion for every pair that needs an order; older pending
    suggestions of the same pairs are superseded. ``budgets``: {supplier code: amount}
    caps each supplier x warehouse group's spend (optimise.py splits it across SKUs); a
    warehouse with ``capacity_units`` caps the units that can still come in."""
    as_of = as_of or timezone.localdate()
    pairs = inputs.pairs(products, warehouses)
    history = inputs.history(pairs, as_of)
    run, forecasts = inputs.forecasts(pairs, as_of)
    progress.report("replenishment as of %s: deciding %s product x warehouse pairs (%s with a current forecast)",
                    as_of, f"{len(pairs):,}", f"{len(forecasts):,}")
    # the latest policy replay: what its explanation quotes, and the cost-tuned method's safety factors
    replay_run = latest_replay_run()
    replayed = latest_replay_rows([p.key for p in pairs], replay_run)
    decisions = []
    step = max(len(pairs) // 5, 1000)
    for i, pair in enumerate(pairs):
        d = decide(pair, history, forecasts, as_of, seed=seed + pair_seed(pair.key),
                   factor=safety_factor(replay_run, replayed.get(pair.key)))
        if d is not None:
            decisions.append(d)
        if (i + 1) % step == 0 and i + 1 < len(pairs):
            progress.report("replenishment: %s of %s pairs decided, %s need an order so far",
                            f"{i + 1:,}", f"{len(pairs):,}", f"{len(decisions):,}")
    quantities = apply_constraints(decisions, budgets or {})
    with transaction.atomic():
        ReorderSuggestion.objects.filter(
            status=ReorderSuggestion.Status.PENDING,
            product_id__in=[p.product.pk for p in pairs], warehouse_id__in={p.warehouse.pk for p in pairs},
        ).update(status=ReorderSuggestion.Status.SUPERSEDED)
        out = []
        for d, q in zip(decisions, quantities):
            if q <= 0:
                continue
            y = d.pair.position + q
            out.append(ReorderSuggestion(
                product=d.pair.product, warehouse=d.pair.warehouse, supplier=d.pair.product.supplier,
                policy=d.pair.policy, method=d.method, forecast_run=run if d.source == "forecast" else None,
                demand_source=d.source, as_of=as_of, quantity=q, wanted_quantity=max(d.wanted, q),
                order_by=order_by(d, as_of), expected_arrival=as_of + timedelta(days=round(d.lead_days)),
                on_hand=d.pair.on_hand, on_order=d.pair.on_order, lead_time_days=d.lead_days,
                forecast_over_lead_time=d.demand.mean, safety_stock=d.target - d.demand.mean,
                target_level=d.target, expected_service_level=float(d.demand.service_level(y)),
                expected_cost=float(d.demand.expected_cost(y, d.costs.holding, d.costs.shortage)),
                unit_cost=d.pair.product.unit_cost, explanation=explain(d, q, as_of, replayed.get(d.pair.key))))
        ReorderSuggestion.objects.bulk_create(out)
        SUGGESTIONS.note_changed()  # bulk writes send no signals
        if connection.vendor == "postgresql" and len(out) >= ANALYZE_AFTER_ROWS:
            # The pages' plans (the pending-suggestion indexes) follow these statistics, and
            # autovacuum may be off or late after a whole catalogue's worth of new rows.
            with connection.cursor() as cur:
                cur.execute(f"ANALYZE {ReorderSuggestion._meta.db_table}")
    progress.report("replenishment: %s suggestions written (%s pairs need no order)", f"{len(out):,}",
                    f"{len(pairs) - len(out):,}")
    return out
