"""Signals other apps listen to, so that forecasting never imports them.

forecast_run_succeeded: sent when a run has become current (every shard written). Receivers
queue their follow-up work: replenishment recomputes suggestions, insights re-checks risks.
"""
from django.dispatch import Signal

forecast_run_succeeded = Signal()  # kwargs: run_id (int)
