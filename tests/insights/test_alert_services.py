"""Alert storage: de-duplication, auto-resolution, acknowledge / resolve, thresholds, DB checks."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from insights import services, watch
from insights.errors import AlertTransitionError
from insights.models import Alert, AlertThreshold
from insights.rules import Assessment
from inventory import services as inventory_services
from inventory.models import Promotion, SalesDay
from tests.factories import make_category, make_product, make_supplier, make_warehouse

pytestmark = pytest.mark.django_db


def firing(product, warehouse, severity="warning", kind="stockout_risk", msg="low"):
    return Assessment(kind, product.pk if product else None, warehouse.pk, True, severity, msg, {"p": 0.3})


def cleared(product, warehouse, kind="stockout_risk"):
    return Assessment(kind, product.pk if product else None, warehouse.pk, False, message="ok")


def test_repeat_checks_update_one_alert():
    p, w = make_product(), make_warehouse()
    services.apply_assessments([firing(p, w)])
    report = services.apply_assessments([firing(p, w, severity="critical", msg="lower")])
    assert report.as_dict()["updated"] == 1 and report.as_dict()["opened"] == 0
    alert = Alert.objects.get()
    assert (alert.occurrences, alert.severity, alert.message) == (2, "critical", "lower")
    # another warehouse is another subject
    services.apply_assessments([firing(p, make_warehouse())])
    assert Alert.objects.count() == 2


def test_database_refuses_a_second_active_alert_for_the_same_subject():
    p, w = make_product(), make_warehouse()
    Alert.objects.create(kind="overstock", product=p, warehouse=w, message="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(kind="overstock", product=p, warehouse=w, message="b")
    # warehouse-level subjects (product NULL) are de-duplicated too
    Alert.objects.create(kind="stale_data", warehouse=w, message="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(kind="stale_data", warehouse=w, message="b")


def test_auto_resolve_and_reopen_after_clearing():
    p, w = make_product(), make_warehouse()
    services.apply_assessments([firing(p, w)])
    rep = services.apply_assessments([cleared(p, w)])
    assert rep.as_dict()["resolved"] == 1
    first = Alert.objects.get()
    assert first.status == "resolved" and first.auto_resolved and first.resolved_at
    # clearing again changes nothing; firing again opens a new alert, the old one stays as history
    assert services.apply_assessments([cleared(p, w)]).as_dict()["resolved"] == 0
    services.apply_assessments([firing(p, w)])
    assert Alert.objects.filter(status="open").count() == 1 and Alert.objects.count() == 2


def test_a_catalogue_of_verdicts_is_applied_in_constant_queries(django_assert_max_num_queries):
    # Each batch of verdicts is one locking read and a few bulk writes, whatever its size:
    # 600 subjects (two batches) opened, then updated and resolved, then cleared with nothing open.
    w = make_warehouse()
    products = [make_product() for _ in range(600)]
    with django_assert_max_num_queries(40):  # SQLite splits a bulk insert by its variable limit
        report = services.apply_assessments([firing(p, w) for p in products])
    assert report.as_dict()["opened"] == 600 and Alert.objects.filter(status="open").count() == 600
    mixed = [firing(p, w, severity="critical", msg="lower") for p in products[:300]] + \
        [cleared(p, w) for p in products[300:]]
    with django_assert_max_num_queries(40):  # SQLite splits a bulk insert by its variable limit
        report = services.apply_assessments(mixed)
    assert report.as_dict() == {"opened": 0, "updated": 300, "resolved": 300, "unchanged": 0}
    still = Alert.objects.filter(status="open")
    assert still.count() == 300 and set(still.values_list("severity", "occurrences").distinct()) == {("critical", 2)}
    resolved = Alert.objects.get(product=products[-1])
    assert resolved.auto_resolved and resolved.resolved_at and resolved.evidence["cleared"]["message"] == "ok"
    with django_assert_max_num_queries(10):
        report = services.apply_assessments([cleared(p, w) for p in products[300:]])
    assert report.as_dict() == {"opened": 0, "updated": 0, "resolved": 0, "unchanged": 300}


def test_one_subject_twice_in_a_check_is_applied_in_order():
    p, w = make_product(), make_warehouse()
    report = services.apply_assessments([firing(p, w), cleared(p, w), firing(p, w, msg="again")])
    assert report.as_dict() == {"opened": 2, "updated": 0, "resolved": 1, "unchanged": 0}
    assert Alert.objects.get(status="open").message == "again"


def test_hold_verdict_leaves_alert_alone():
    p, w = make_product(), make_warehouse()
    services.apply_assessments([firing(p, w, kind="forecast_drift")])
    services.apply_assessments([Assessment("forecast_drift", p.pk, w.pk, None)])
    assert Alert.objects.get().status == "open"


def test_acknowledge_then_resolve_with_who_and_when():
    user = get_user_model().objects.create_user("pat", password="x" * 12)
    p, w = make_product(), make_warehouse()
    alert, _ = services.raise_or_update(firing(p, w))
    services.acknowledge(alert.pk, user, "ordering more")
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == user and alert.acknowledged_at
    with pytest.raises(AlertTransitionError, match="only an open alert"):
        services.acknowledge(alert.pk, user)
    # an acknowledged alert is still the active one: a check updates it rather than opening another
    services.apply_assessments([firing(p, w)])
    assert Alert.objects.count() == 1 and Alert.objects.get().occurrences == 2
    services.resolve(alert.pk, user, "done")
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.resolved_by == user and not alert.auto_resolved
    with pytest.raises(AlertTransitionError, match="already resolved"):
        services.resolve(alert.pk, user)


def test_thresholds_most_specific_scope_wins():
    from insights.thresholds import ThresholdBook

    cat, w = make_category(), make_warehouse()
    AlertThreshold.objects.create(overstock_days_cover=120)
    AlertThreshold.objects.create(warehouse=w, overstock_days_cover=60, anomaly_z=5)
    AlertThreshold.objects.create(category=cat, overstock_days_cover=30)
    book = ThresholdBook()
    assert book.for_subject(w.pk, cat.pk)["overstock_days_cover"] == 30
    assert book.for_subject(w.pk, None)["overstock_days_cover"] == 60
    assert book.for_subject(w.pk, cat.pk)["anomaly_z"] == 5   # inherited from the warehouse row
    assert book.for_subject(None, None)["overstock_days_cover"] == 120
    assert book.for_subject(None, None)["stockout_probability"] == 0.2   # default


def _sales(product, warehouse, days, level, today, promo_on=()):
    SalesDay.objects.bulk_create([
        SalesDay(product=product, warehouse=warehouse, date=today - timedelta(days=d), units=level,
                 on_promotion=(today - timedelta(days=d)) in promo_on)
        for d in range(1, days + 1)])


def test_check_stock_from_history_raises_and_clears_stockout():
    today = date(2026, 5, 1)
    sup = make_supplier(lead_time_mean_days=Decimal("10"))
    p, w = make_product(supplier=sup), make_warehouse()
    _sales(p, w, 30, 10, today)                       # 10 a day, 100 over the lead time
    inventory_services.receive(p, w, 40)
    watch.check_stock(today)
    alert = Alert.objects.get(kind="stockout_risk")
    assert alert.evidence["forecast_source"] == "history" and alert.status == "open"
    inventory_services.receive(p, w, 360)  # through the ledger: the database refuses a bare update
    watch.check_stock(today)
    alert.refresh_from_db()
    assert alert.status == "resolved" and alert.auto_resolved
    # 400 units at 10 a day is 40 days of cover: under the 90-day default, so no overstock...
    assert not Alert.objects.filter(kind="overstock").exists()
    # ...but over a 30-day limit set for this warehouse
    AlertThreshold.objects.create(warehouse=w, overstock_days_cover=30)
    watch.check_stock(today)
    assert Alert.objects.get(kind="overstock").evidence["days_of_cover"] == pytest.approx(40, abs=1)


def test_check_stale_per_warehouse():
    today = date(2026, 5, 1)
    p, fresh, stale = make_product(), make_warehouse(), make_warehouse()
    SalesDay.objects.create(product=p, warehouse=fresh, date=today - timedelta(days=1), units=1)
    SalesDay.objects.create(product=p, warehouse=stale, date=today - timedelta(days=5), units=1)
    watch.check_stale(today)
    assert list(Alert.objects.values_list("warehouse_id", flat=True)) == [stale.pk]
    SalesDay.objects.create(product=p, warehouse=stale, date=today, units=1)
    watch.check_stale(today)
    assert not Alert.objects.filter(status="open").exists()


def test_check_anomalies_skips_a_known_promotion():
    today = date(2026, 5, 1)
    p, w = make_product(), make_warehouse()
    _sales(p, w, 60, 10, today)
    SalesDay.objects.filter(product=p, date=today - timedelta(days=1)).update(units=90)
    promo = Promotion.objects.create(name="May", start_date=today - timedelta(days=2), end_date=today)
    promo.products.add(p)
    promo.warehouses.add(w)
    watch.check_anomalies(today)
    assert not Alert.objects.exists()
    promo.status = Promotion.Status.CANCELLED
    promo.save()
    watch.check_anomalies(today)
    alert = Alert.objects.get(kind="demand_anomaly")
    assert alert.evidence["anomalies"][0]["units"] == 90


def test_drift_alert_requests_finetuning_once_and_closes_on_recovery(monkeypatch, django_capture_on_commit_callbacks):
    from insights import forecast_link
    from insights.rules.drift import DriftInput

    calls = []
    monkeypatch.setattr(forecast_link, "request_finetune", lambda reason: calls.append(reason) or {"requested": True})
    with django_capture_on_commit_callbacks(execute=True):
        watch.check_drift([DriftInput(0.45, 0.30, 14, model_version="v3")])
        watch.check_drift([DriftInput(0.50, 0.30, 14, model_version="v3")])   # still drifting: update only
    alert = Alert.objects.get(kind="forecast_drift")
    assert len(calls) == 1 and "drift" in calls[0]
    assert alert.occurrences == 2 and alert.evidence["finetune"] == {"requested": True}
    watch.check_drift([DriftInput(0.36, 0.30, 14)])    # inside the hysteresis band: stays open
    assert Alert.objects.get().status == "open"
    watch.check_drift([DriftInput(0.31, 0.30, 14)])    # recovered
    assert Alert.objects.get().status == "resolved"


def test_request_finetune_queues_a_finetuning_forecast_run(settings, monkeypatch):
    tasks = pytest.importorskip("forecasting.tasks")
    from insights.forecast_link import request_finetune

    sent = []

    class FakeTask:
        def delay(self, **kwargs):
            sent.append(kwargs)
            return type("R", (), {"id": "t-1"})()

    monkeypatch.setattr(tasks, "run_forecast", FakeTask())
    settings.CELERY_TASK_ALWAYS_EAGER = False
    outcome = request_finetune("drift alert #1")
    assert outcome["requested"] and outcome["task_id"] == "t-1"
    assert sent == [{"options": {"start": "latest", "reason": "drift alert #1"}}]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_checks_open_one_alert():
    """Two checks raising the same condition at once: one alert, updated, never two."""
    import threading

    from django.db import connection

    p, w = make_product(), make_warehouse()
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait()
            for _ in range(5):
                services.raise_or_update(firing(p, w))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    alert = Alert.objects.get()
    assert alert.occurrences == 20


def test_deactivated_product_closes_its_stock_alerts():
    p, w = make_product(), make_warehouse()
    services.apply_assessments([firing(p, w)])
    p.active = False
    p.save()
    watch.check_stock(date(2026, 5, 1))
    alert = Alert.objects.get()
    assert alert.status == "resolved" and "deactivated" in alert.evidence["cleared"]["message"]


def test_check_anomalies_skips_a_known_calendar_event():
    CalendarEvent = pytest.importorskip("inventory.import_models").CalendarEvent
    today = date(2026, 5, 1)
    p, w, other = make_product(), make_warehouse(), make_warehouse()
    _sales(p, w, 60, 10, today)
    SalesDay.objects.filter(product=p, date=today - timedelta(days=1)).update(units=90)
    CalendarEvent.objects.create(date=today - timedelta(days=1), name="Cup final", warehouse=other)
    watch.check_anomalies(today)
    assert Alert.objects.filter(kind="demand_anomaly", status="open").count() == 1  # another warehouse's event
    CalendarEvent.objects.create(date=today - timedelta(days=1), name="Bank holiday")  # every warehouse
    watch.check_anomalies(today)
    assert not Alert.objects.filter(status="open").exists()
    assert Alert.objects.get().auto_resolved


def test_task_entry_points_run_every_check():
    from insights import tasks

    p, w = make_product(), make_warehouse()
    SalesDay.objects.create(product=p, warehouse=w, date=date(2026, 4, 1), units=3)
    out = tasks.run_checks.apply(kwargs={"today": "2026-05-01"}).get()
    assert set(out) == {"stock", "anomaly", "stale", "drift"}
    assert out["stale"]["opened"] == 1          # a month without sales in that warehouse
    after = tasks.after_import.apply(kwargs={"warehouse_ids": [w.pk]}).get()
    assert set(after) == {"stale", "anomaly", "stock"}
