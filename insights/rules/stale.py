"""Stale data: no sales imported for a warehouse for longer than expected."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .base import Assessment, RuleInputError, Severity

KIND = "stale_data"


@dataclass
class StaleInput:
    warehouse_id: int
    last_sales_date: date | None
    today: date


def assess_stale(x: StaleInput, *, max_gap_days: int = 2, critical_gap_days: int | None = 7) -> Assessment:
    if max_gap_days < 0:
        raise RuleInputError(f"max_gap_days must be >= 0, got {max_gap_days}")
    if x.last_sales_date is None:
        # A warehouse with no history yet is new, not stale: no opinion.
        return Assessment(KIND, None, x.warehouse_id, None, message="No sales ever imported for this warehouse.",
                          evidence={"last_sales_date": None})
    gap = (x.today - x.last_sales_date).days
    ev = {"last_sales_date": x.last_sales_date.isoformat(), "days_since": gap, "max_gap_days": max_gap_days}
    if gap > max_gap_days:
        sev = Severity.CRITICAL if critical_gap_days is not None and gap > critical_gap_days else Severity.WARNING
        return Assessment(KIND, None, x.warehouse_id, True, sev,
                          f"No sales imported for {gap} days (last {x.last_sales_date}); expected every "
                          f"{max_gap_days} day(s) at most.", ev)
    return Assessment(KIND, None, x.warehouse_id, False, message="Sales are up to date.", evidence=ev)
