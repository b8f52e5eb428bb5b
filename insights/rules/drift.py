"""Forecast drift: the current model's rolling error against its own backtest error.

Hysteresis: fires above ``backtest * (1 + margin)``, clears only at or below
``backtest * (1 + margin * recover_fraction)``, and holds (None) in between so that an alert
does not flap open and shut around the line.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import Assessment, RuleInputError, Severity

KIND = "forecast_drift"


def wape(actual: np.ndarray, predicted: np.ndarray) -> float:
    """Sum of absolute errors over sum of actuals (the error we compare with the backtest's)."""
    actual, predicted = np.asarray(actual, float), np.asarray(predicted, float)
    if actual.shape != predicted.shape:
        raise RuleInputError(f"actual {actual.shape} and predicted {predicted.shape} differ in shape")
    denom = np.abs(actual).sum()
    return float(np.abs(actual - predicted).sum() / denom) if denom > 0 else float("nan")


@dataclass
class DriftInput:
    rolling_error: float      # e.g. WAPE of the current forecasts over the last `window_days`
    backtest_error: float     # the same metric in the model's backtest
    days_observed: int
    metric: str = "wape"
    model_version: str = ""
    product_id: int | None = None
    warehouse_id: int | None = None


def assess_drift(x: DriftInput, *, margin: float = 0.25, recover_fraction: float = 0.5,
                 min_days: int = 7) -> Assessment:
    if margin <= 0:
        raise RuleInputError(f"margin must be > 0, got {margin}")
    if not (x.backtest_error and np.isfinite(x.backtest_error) and x.backtest_error > 0):
        raise RuleInputError(f"backtest_error must be a positive number, got {x.backtest_error}")
    ev = {"metric": x.metric, "rolling_error": x.rolling_error, "backtest_error": x.backtest_error,
          "margin": margin, "days_observed": x.days_observed, "model_version": x.model_version}
    if x.days_observed < min_days or not np.isfinite(x.rolling_error):
        return Assessment(KIND, x.product_id, x.warehouse_id, None,
                          message=f"Only {x.days_observed} day(s) of actuals since the forecast; need {min_days}.",
                          evidence=ev)
    ratio = x.rolling_error / x.backtest_error
    ev["ratio"] = round(ratio, 3)
    fire_at, clear_at = 1 + margin, 1 + margin * recover_fraction
    if ratio > fire_at:
        sev = Severity.CRITICAL if ratio > 1 + 2 * margin else Severity.WARNING
        return Assessment(KIND, x.product_id, x.warehouse_id, True, sev,
                          f"Forecast drift: rolling {x.metric} {x.rolling_error:.3f} is {ratio - 1:.0%} worse than "
                          f"the backtest's {x.backtest_error:.3f} (limit +{margin:.0%}); fine-tuning requested.", ev)
    if ratio <= clear_at:
        return Assessment(KIND, x.product_id, x.warehouse_id, False,
                          message=f"Forecast accuracy within {clear_at - 1:.0%} of its backtest.", evidence=ev)
    return Assessment(KIND, x.product_id, x.warehouse_id, None, message="Forecast error inside the hysteresis band.",
                      evidence=ev)
