"""Alert rules: pure functions (numpy/pandas, no Django) from plain inputs to Assessments.

Each rule answers, for one subject (product x warehouse, a warehouse, or the model), whether
its condition holds now: ``firing`` True (raise or update the alert), False (the condition has
cleared: resolve any open alert) or None (inside a hysteresis band: leave the alert as it is).
The services module turns Assessments into Alert rows; the rules know nothing of storage.
"""
from .base import Assessment, Severity
from .stockout import StockoutInput, assess_stockout, assess_stockouts
from .overstock import OverstockInput, assess_overstock
from .anomaly import AnomalyInput, assess_anomaly
from .drift import DriftInput, assess_drift
from .stale import StaleInput, assess_stale

__all__ = [
    "Assessment", "Severity", "StockoutInput", "assess_stockout", "assess_stockouts", "OverstockInput", "assess_overstock",
    "AnomalyInput", "assess_anomaly", "DriftInput", "assess_drift", "StaleInput", "assess_stale",
]
