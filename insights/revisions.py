"""Alerts as one revision (inventory_site.revisions): what the dashboard's alert figures read
(counts by severity, the ones with the most at stake, the open-alert trend). A check writes
them in bulk (services._apply_batch), which calls ALERTS.note_changed(); saves move it by
themselves."""
from inventory_site.revisions import Revision

ALERTS = Revision("alerts", ("insights.Alert",))
