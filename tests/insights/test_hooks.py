"""An import that commits announces itself; insights listens and runs its alert checks."""
import pytest

from insights.hooks import queue_checks_after_import
from insights.models import Alert
from inventory.ingest.api import import_files
from inventory.signals import sales_imported

pytestmark = pytest.mark.django_db(transaction=True)

CSV = "sku,warehouse,date,units\nHOOK-1,WH1,2024-01-01,3\nHOOK-1,WH1,2024-01-02,4\n"


def test_committed_import_sends_the_signal_once_and_dry_run_never(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(CSV)
    heard = []

    def listener(sender, summary, **kwargs):
        heard.append(summary.days_inserted)

    sales_imported.connect(listener)
    try:
        import_files("generic", [path], dry_run=True)
        assert heard == []
        import_files("generic", [path])
        assert heard == [2]
    finally:
        sales_imported.disconnect(listener)


def test_insights_listens_and_its_checks_run(tmp_path, settings):
    assert any("insights-after-import" in str(entry[0]) for entry in sales_imported.receivers)
    path = tmp_path / "sales.csv"
    path.write_text(CSV)
    import_files("generic", [path])
    if settings.CELERY_TASK_ALWAYS_EAGER:
        # Eager: the checks ran in-process. Sales from 2024 are long stale: the stale-data rule fires.
        assert Alert.objects.filter(kind="stale_data").exists()
    queue_checks_after_import(sender=None)  # callable again without error (idempotent checks)


def test_a_successful_forecast_run_announces_itself_once(eager_tasks):
    from datetime import date, timedelta

    from forecasting.models import ForecastRun
    from forecasting.signals import forecast_run_succeeded
    from forecasting.tasks import run_forecast
    from inventory.models import Product, SalesDay, Warehouse

    product, warehouse = Product.objects.create(sku="FC-1", name="x"), Warehouse.objects.create(code="FCW", name="w")
    SalesDay.objects.bulk_create(
        SalesDay(product=product, warehouse=warehouse, date=date(2024, 1, 1) + timedelta(days=i), units=i % 5)
        for i in range(60)
    )
    heard = []
    forecast_run_succeeded.connect(lambda sender, run_id, **kw: heard.append(run_id), weak=False, dispatch_uid="t")
    try:
        run_id = run_forecast.delay(model="seasonal_naive", horizon=7, shards=2).get()
    finally:
        forecast_run_succeeded.disconnect(dispatch_uid="t")
    assert ForecastRun.objects.get(pk=run_id).is_current and heard == [run_id]
    assert any("insights-after-forecast" in str(entry[0]) for entry in forecast_run_succeeded.receivers)
