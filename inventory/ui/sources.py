"""Read access to the forecasting, replenishment and alerts data, for the staff pages.

Each function returns None when the feature behind it has not landed yet (see features.py),
so templates can tell "not available yet" apart from "nothing there" (an empty list or 0).
"""
from . import features


def open_alerts_by_severity():
    """[(severity, count)] of open alerts, or None while there is no Alert model."""
    Alert = features.model("replenishment", "Alert")
    if Alert is None:
        return None
    return None  # filled in when the alerts model lands


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
