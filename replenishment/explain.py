"""The sentence a planner reads under a suggestion: every number behind the order, in the
order the decision used them."""
from __future__ import annotations

from datetime import date

from .decisions import Decision, Method
from .models import ReorderSuggestion


def explain(d: Decision, quantity: int, as_of: date) -> str:
    p, c = d.pair, d.costs
    mean = d.demand.mean
    safety = d.target - mean
    src = "the current forecast" if d.source == ReorderSuggestion.DemandSource.FORECAST else \
        "the last year of sales (out-of-stock days left out)"
    target = (f"a {c.service_level:.0%} service-level target" if c.service_level is not None else
              f"shortage cost {c.shortage:.2f} per unit against holding cost {c.holding:.2f} per unit per "
              f"{c.review_days}-day review, i.e. a {c.fractile:.0%} chance of no stock-out")
    parts = [
        f"On hand {p.on_hand}, on order {p.on_order} (open purchase orders), so the inventory position is {p.position}.",
        f"Expected demand over the {d.lead_days:g}-day lead time plus the {c.review_days}-day review period: "
        f"{mean:.1f} units, from {src}.",
        f"Safety stock {safety:.1f} units for {target}; "
        + (f"reorder point {d.target:.0f}." if d.method in (Method.S_S, Method.RQ) else f"order-up-to level {d.target:.0f}."),
    ]
    if d.method in (Method.BASE_STOCK, Method.NEWSVENDOR):
        parts.append(f"Ordering {d.target:.0f} - {p.position} = {max(d.target - p.position, 0):.0f}, rounded to "
                     f"{d.wanted} for the pack size {p.product.pack_size} and minimum order "
                     f"{p.product.minimum_order}.")
    if d.note:
        parts.append(d.note)
    if quantity != d.wanted:
        parts.append(f"Cut from {d.wanted} to {quantity} units to stay within the purchase budget / free warehouse capacity "
                     f"(the cut is placed where it raises expected cost least).")
    return " ".join(parts)
