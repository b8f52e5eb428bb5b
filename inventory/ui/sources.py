"""Read access to the forecasting, replenishment and alerts data, for the staff pages.

Each function returns None when the feature behind it has not landed yet (see features.py),
so templates can tell "not available yet" apart from "nothing there" (an empty list or 0).
"""
from . import features


def open_alerts_by_severity():
    """{"total": n, "by_severity": [(severity, count)], most severe first} of active alerts, or None
    while there is no Alert model."""
    Alert = features.model("insights", "Alert")
    if Alert is None:
        return None
    from django.db.models import Count

    counts = dict(
        Alert.objects.filter(status__in=Alert.ACTIVE_STATUSES).values_list("severity").annotate(n=Count("id"))
    )
    order = ["critical", "warning", "info"]
    by_severity = [(s, counts[s]) for s in order if counts.get(s)] + [
        (s, n) for s, n in counts.items() if s not in order
    ]
    return {"total": sum(counts.values()), "by_severity": by_severity}


def pending_suggestion_count():
    Suggestion = features.model("replenishment", "ReorderSuggestion")
    if Suggestion is None:
        return None
    return None


def current_accuracy():
    ForecastRun = features.model("forecasting", "ForecastRun")
    if ForecastRun is None:
        return None
    return None


def recent_runs(limit: int):
    ForecastRun = features.model("forecasting", "ForecastRun")
    if ForecastRun is None:
        return None
    return None


def forecasting_available() -> bool:
    return features.model("forecasting", "Forecast") is not None


def suggestions_available() -> bool:
    return features.model("replenishment", "ReorderSuggestion") is not None


def product_forecast(product, warehouse):
    """{"dates": [...], "p10": [...], "p50": [...], "p90": [...]} of the current forecast, or None."""
    if not forecasting_available():
        return None
    return None


def daily_p50_by_warehouse(product):
    """{warehouse_id: [p50 per day]} of the current forecast, or None."""
    if not forecasting_available():
        return None
    return None


def current_suggestion(product):
    if not suggestions_available():
        return None
    return None


def forecast_explanation(product, warehouse):
    if not forecasting_available():
        return None
    return None
