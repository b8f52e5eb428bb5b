"""Follow-up work queued when other apps finish theirs (imports, forecast runs)."""
import logging

from .tasks import after_forecast, after_import

log = logging.getLogger(__name__)


def queue_checks_after_import(sender, summary=None, **kwargs):
    """New sales can open or close stale-data, anomaly and stock alerts."""
    try:
        after_import.delay()
    except Exception:  # a broker outage must not turn a committed import into an error
        log.exception("could not queue the alert checks after an import; the hourly checks will run them")


def queue_checks_after_forecast(sender, run_id=None, **kwargs):
    """New quantiles change stock-out risk, and the run's accuracy may show drift."""
    try:
        after_forecast.delay(run_id=run_id)
    except Exception:
        log.exception("could not queue the alert checks after forecast run %s", run_id)
