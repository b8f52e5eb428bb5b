"""Read access to the forecasting, replenishment and alerts data, for the staff pages.

None means "nothing there yet" (no current forecast, no backtest with both numbers).
"""
from django.db.models import Count
from django.urls import reverse

from forecasting import selectors as forecast_selectors
from forecasting.models import ForecastRun
from insights import selectors as alert_selectors
from insights import thresholds as alert_thresholds
from replenishment import selectors as replenishment_selectors
from replenishment.models import ReorderSuggestion

from .figure_cache import OPEN_ALERTS, PENDING, until_changed


def open_alerts_by_severity():
    """{"total": n, "by_severity": [(severity, count)], most severe first} of active alerts;
    kept until the alerts change (counts over every open alert otherwise, each request)."""
    return until_changed(f"open-alerts:{alert_thresholds.minimum_amount()}", _open_alerts_by_severity, OPEN_ALERTS)


def _open_alerts_by_severity():
    active = alert_selectors.active_alerts()
    counts = dict(active.order_by().values_list("severity").annotate(n=Count("id")))
    order = ["critical", "warning", "info"]
    by_severity = [(s, counts[s]) for s in order if counts.get(s)] + [
        (s, n) for s, n in counts.items() if s not in order
    ]
    small = active.filter(alert_selectors.small()).count()
    return {"total": sum(counts.values()), "by_severity": by_severity, "small": small}


def pending_suggestion_count() -> int:
    """Kept until the suggestions change (a count of every pending row per request otherwise)."""
    return until_changed("pending-suggestion-count", ReorderSuggestion.objects.filter(
        status=ReorderSuggestion.Status.PENDING).count, PENDING)


# --- forecasting --------------------------------------------------------------------------


def _wrmsse(metrics: dict):
    value = (metrics or {}).get("wrmsse")
    return float(value) if isinstance(value, (int, float)) else None


def current_accuracy():
    """Backtest WRMSSE of the current run's model against seasonal naive on the same holdout.

    None while no succeeded run has a backtest with both numbers.
    """
    run = forecast_selectors.current_run()
    candidates = [run] if run is not None else []
    candidates += list(ForecastRun.objects.filter(status="succeeded").order_by("-finished_at", "-id")[:5])
    for run in candidates:
        value, naive = _wrmsse(run.metrics), (run.metrics or {}).get("seasonal_naive_wrmsse")
        if value is not None and isinstance(naive, (int, float)) and naive > 0:
            return {
                "metric": "WRMSSE", "value": value, "naive": float(naive), "ratio": value / naive,
                "beats_naive": value < naive, "model": run.model_name, "run_id": run.pk,
                "holdout_start": run.metrics.get("holdout_start"), "start_label": run.get_start_display(),
            }
    return None


def run_summary(run) -> dict:
    progress = None
    if run.n_shards:
        progress = min(run.shards_done / run.n_shards, 1.0)
    return {
        "id": run.pk, "status": run.status, "status_label": run.get_status_display(),
        "started": run.started_at, "finished": run.finished_at, "created": run.created_at,
        "model": run.model_name, "url": reverse("ui:run", args=[run.pk]), "progress": progress,
        "is_current": run.is_current, "start": run.start, "start_label": run.get_start_display(),
        "start_note": run.start_note,
    }


def recent_runs(limit: int):
    return [run_summary(run) for run in ForecastRun.objects.order_by("-created_at", "-id")[:limit]]


def _current_rows(product, warehouse):
    return forecast_selectors.current_forecasts(product=product, warehouse=warehouse)


def product_forecast(product, warehouse):
    """{"dates", "p10", "p50", "p90", "summed"} of the current forecast, or None when there is none.

    For all warehouses together the quantiles are added up day by day: the p50 line is close to
    the median of the total, the band is wider than the true band (it assumes the warehouses move
    together), and the page says so.
    """
    rows = _current_rows(product, warehouse).values_list("date", "warehouse_id", "p10", "p50", "p90")
    by_day, warehouses = {}, set()
    for day, wh, p10, p50, p90 in rows:
        warehouses.add(wh)
        acc = by_day.setdefault(day, [0.0, 0.0, 0.0])
        acc[0] += p10
        acc[1] += p50
        acc[2] += p90
    if not by_day:
        return None
    days = sorted(by_day)
    return {
        "dates": [d.isoformat() for d in days],
        "p10": [round(by_day[d][0], 3) for d in days],
        "p50": [round(by_day[d][1], 3) for d in days],
        "p90": [round(by_day[d][2], 3) for d in days],
        "summed": len(warehouses) > 1,
        "start": days[0],
    }


def daily_p50_by_warehouse(product):
    """{warehouse_id: [p50 per day from the forecast's first day]} of the current forecast, or None."""
    result = {}
    for wh, p50 in _current_rows(product, None).values_list("warehouse_id", "p50"):
        result.setdefault(wh, []).append(p50)
    return result or None


COMPONENT_LABELS = {
    "level": "Level",
    "calendar": "Seasonality and calendar",
    "price": "Price",
    "promotion": "Promotion",
}


def forecast_explanation(product, warehouse):
    """The forecast's parts (they add up to the mean), averaged per day over the horizon."""
    totals, days = {}, 0
    for explanation in _current_rows(product, warehouse).values_list("explanation", flat=True):
        if not explanation:
            continue
        days += 1
        for part, value in explanation.items():
            totals[part] = totals.get(part, 0.0) + float(value)
    if not days:
        return None
    parts = []
    for part, total in totals.items():
        per_day = total / days
        sign = "+" if per_day >= 0 and part != "level" else ""
        parts.append({"label": COMPONENT_LABELS.get(part, part.capitalize()),
                      "text": f"{sign}{per_day:.2f} units a day on average"})
    return parts


# --- replenishment --------------------------------------------------------------------------


def current_suggestion(product):
    """The newest pending suggestion for this product (any warehouse), or None."""
    return replenishment_selectors.current_suggestion(product)
