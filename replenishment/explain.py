"""The sentence a planner reads under a suggestion: every number behind the order, in the
order the decision used them."""
from __future__ import annotations

from datetime import date

from .decisions import Decision, Method
from .models import ReorderPolicy, ReorderSuggestion


def replay_sentence(method: str, replayed: dict | None) -> str:
    """What the latest policy replay said of the method that decided (empty: no replay yet)."""
    if not replayed or method not in replayed:
        return ""
    row = replayed[method]
    run = row.run
    others = sorted((r.total_cost, ReorderPolicy.Method(m).label) for m, r in replayed.items() if m != method)
    unit = "weeks" if run.freq == "W" else "days"
    what = "chose it" if row.selected else "did not choose it (the method was set by staff)"
    text = (f"Method: {ReorderPolicy.Method(method).label}. Replayed on this pair's last {run.periods} {unit} "
            f"to {run.as_of}, it would have cost {row.total_cost:.2f} (fill rate {row.fill_rate:.0%})")
    if others:
        text += f"; the cheapest other method, {others[0][1]}, {others[0][0]:.2f}"
    return text + f"; the replay {what}."


def explain(d: Decision, quantity: int, as_of: date, replayed: dict | None = None) -> str:
    p, c = d.pair, d.costs
    mean = d.demand.mean
    safety = d.target - mean
    src = ("the current forecast, calibrated on its run's holdout (the spread from this pair's own last 8 weeks)"
           if d.demand.source == "calibrated_forecast" else
           "the current forecast" if d.source == ReorderSuggestion.DemandSource.FORECAST else
           "the last year of sales (out-of-stock days left out)")
    target = (f"a {c.service_level:.0%} service-level target (the default: this product has no unit cost, so "
              f"holding cannot be priced; set its unit cost or the policy's costs)" if c.assumed else
              f"a {c.service_level:.0%} service-level target" if c.service_level is not None else
              f"shortage cost {c.shortage:.2f} per unit against holding cost {c.holding:.2f} per unit per "
              f"{c.review_days}-day review, i.e. a {c.fractile:.0%} chance of no stock-out")
    parts = [
        f"On hand {p.on_hand}, on order {p.on_order} (open purchase orders), so the inventory position is {p.position}.",
        f"Expected demand over the {d.lead_days:g}-day lead time plus the {c.review_days}-day review period: "
        f"{mean:.1f} units, from {src}.",
        (f"Safety stock {safety:.1f} units from the cost-tuned safety factor (below; the costs: {target}); "
         if d.method == Method.BASE_STOCK_TUNED else f"Safety stock {safety:.1f} units for {target}; ")
        + (f"reorder point {d.target:.0f}." if d.method in (Method.S_S, Method.RQ) else f"order-up-to level {d.target:.0f}."),
    ]
    if d.method in (Method.BASE_STOCK, Method.BASE_STOCK_TUNED, Method.NEWSVENDOR):
        parts.append(f"Ordering {d.target:.0f} - {p.position} = {max(d.target - p.position, 0):.0f}, rounded to "
                     f"{d.wanted} for the pack size {p.product.pack_size} and minimum order "
                     f"{p.product.minimum_order}.")
    if d.note:
        parts.append(d.note.strip())
    if d.method in (Method.MOVING_AVERAGE, Method.ORDER_WHAT_SOLD):
        parts.append(f"Order {d.wanted} after rounding for the pack size {p.product.pack_size} and minimum order "
                     f"{p.product.minimum_order}.")
    sentence = replay_sentence(d.method, replayed)
    if sentence:
        parts.append(sentence)
    if quantity != d.wanted:
        parts.append(f"Cut from {d.wanted} to {quantity} units to stay within the purchase budget / free warehouse capacity "
                     f"(the cut is placed where it raises expected cost least).")
    return " ".join(parts)
