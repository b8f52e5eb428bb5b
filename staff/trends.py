"""The dashboard's trend charts, as the data for the vendored chart library: in-stock share by
week of recorded sales, the ledger's stock value and the open alerts over the last weeks, and
the backtest accuracy of each forecast run against seasonal naive."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from forecasting.selectors import accuracy_by_run
from insights.selectors import open_counts_at
from inventory.selectors import last_sales_day, stock_value_by_week, weekly_in_stock

from .figure_cache import OPEN_ALERTS, STOCK_ONLY, until_changed, until_sales_change

WEEKS = 26
SERVICE_CACHE_NAME = "service-by-week"


def service_by_week() -> dict | None:
    end = last_sales_day()
    if end is None:
        return None
    weeks = [w for w in weekly_in_stock(end - timedelta(days=7 * WEEKS - 1), end) if w["share"] is not None]
    if not weeks:
        return None  # the sales data has no in-stock flags
    return {"labels": [w["week"].isoformat() for w in weeks], "y_label": "% of product x warehouse days in stock",
            "series": [{"label": "in stock", "values": [round(100 * w["share"], 2) for w in weeks]}]}


def stock_value() -> dict:
    today = timezone.localdate()
    # The ledger of every pair over half a year: once per change of the stock (and per day).
    return until_changed(f"stock-value-by-week:{today.isoformat()}", lambda: _stock_value(today), STOCK_ONLY)


def _stock_value(today) -> dict:
    points = stock_value_by_week(WEEKS, today)
    return {"labels": [p["week_end"].isoformat() for p in points], "y_label": "value at today's unit costs",
            "series": [{"label": "stock value", "values": [round(p["value"], 2) for p in points]}]}


def open_alerts() -> dict:
    today = timezone.localdate()
    return until_changed(f"open-alerts-by-week:{today.isoformat()}", lambda: _open_alerts(today), OPEN_ALERTS)


def _open_alerts(today) -> dict:
    ends = [today - timedelta(days=7 * k) for k in range(WEEKS - 1, -1, -1)]
    moments = [timezone.make_aware(datetime.combine(d, time.max)) for d in ends]
    return {"labels": [d.isoformat() for d in ends], "y_label": "open or acknowledged",
            "series": [{"label": "open alerts", "values": open_counts_at(moments)}]}


def accuracy() -> dict | None:
    runs = accuracy_by_run()
    if not runs:
        return None
    return {"labels": [f"#{r['run_id']}" for r in runs], "y_label": "WRMSSE (lower is better; 1 = the naive scale)",
            "series": [{"label": "model", "values": [round(r["wrmsse"], 4) for r in runs]},
                       {"label": "seasonal naive", "values": [round(r["naive"], 4) for r in runs]}]}


def all_trends() -> dict:
    return {"service": until_sales_change(SERVICE_CACHE_NAME, service_by_week), "stock_value": stock_value(), "open_alerts": open_alerts(),
            "accuracy": accuracy()}
