"""Signals other apps listen to, so that inventory never imports them.

sales_imported: sent once an import's transaction has committed (never for a dry run or a
refused file). Receivers queue their follow-up work (alert checks) on Celery.
"""
from django.dispatch import Signal

sales_imported = Signal()  # kwargs: summary (ImportSummary)
