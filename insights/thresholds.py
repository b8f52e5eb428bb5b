"""Threshold lookup: most specific AlertThreshold scope first, then wider ones, then defaults."""
from __future__ import annotations

from django.conf import settings

from .models import DEFAULT_THRESHOLDS, AlertThreshold


def minimum_amount() -> float:
    """The smallest money at stake worth an alert of its own (STOCKCAST_ALERT_MIN_AMOUNT)."""
    return float(settings.STOCKCAST_ALERT_MIN_AMOUNT)


def is_trivial(money_at_stake: float | None) -> bool:
    """An alert whose money at stake is below the minimum: kept, but folded into the alerts page's
    digest and never notified on its own. Alerts without a money figure are never trivial."""
    return money_at_stake is not None and money_at_stake < minimum_amount()


class ThresholdBook:
    """All thresholds loaded once per check run (a handful of rows), resolved per subject."""

    def __init__(self):
        self.rows = {t.scope: t for t in AlertThreshold.objects.all()}
        self._resolved: dict = {}  # a check asks for the same few (warehouse, category) thousands of times

    def for_subject(self, warehouse_id=None, category_id=None) -> dict:
        key = (warehouse_id, category_id)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(warehouse_id, category_id)
        return dict(self._resolved[key])

    def _resolve(self, warehouse_id, category_id) -> dict:
        scopes = []
        if warehouse_id and category_id:
            scopes.append(f"warehouse:{warehouse_id}/category:{category_id}")
        if category_id:
            scopes.append(f"category:{category_id}")
        if warehouse_id:
            scopes.append(f"warehouse:{warehouse_id}")
        scopes.append("global")
        out = {}
        for name, default in DEFAULT_THRESHOLDS.items():
            value = default
            for scope in scopes:
                row = self.rows.get(scope)
                if row is not None and getattr(row, name) is not None:
                    value = getattr(row, name)
                    break
            out[name] = float(value) if value is not None and name != "stale_after_days" else value
        return out
