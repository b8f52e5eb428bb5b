"""Follow-up work: every successful forecast run replays the recent history (choosing each
pair's method) and then recomputes the reorder suggestions with those methods."""
import logging

from forecasting.models import ForecastRun

from .tasks import replay_policies, run_replenishment

log = logging.getLogger(__name__)


def queue_replenishment_after_forecast(sender, run_id=None, **kwargs):
    run = ForecastRun.objects.filter(pk=run_id).first()
    # Decide as of the run's last day of sales: today in daily operation, the data's last day
    # when a historical data set is loaded.
    as_of = run.as_of.isoformat() if run is not None and run.as_of else None
    try:
        (replay_policies.si(forecast_run_id=run_id, as_of=as_of)
         | run_replenishment.si(forecast_run_id=run_id, as_of=as_of)).delay()
    except Exception:  # a broker outage must not fail the forecast run that already succeeded
        log.exception("could not queue replenishment after forecast run %s", run_id)
