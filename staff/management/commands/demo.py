"""Set up the demo: a staff login, the real Online Retail II sales, a trained forecast, reorder
suggestions and alerts. `make demo` runs this, then serves the app.

Online Retail II carries sales only: no supplier, lead time or stock figures. The demo states
its three assumptions openly instead of inventing data that looks real:
- one supplier, "Demo supplier (assumed)", with a 14-day mean lead time (sd 3 days), because
  the retailer's purchasing is not in the data;
- an opening stock count per product and warehouse of about three weeks of its average demand
  over the last eight weeks of history, written to the ledger as adjustments whose note says so;
- no unit costs (the data has none): holding cannot be priced, so every reorder decision targets
  the default service level (STOCKCAST_DEFAULT_SERVICE_LEVEL) and its explanation says so.
Everything else (products, names, prices, warehouses by region, daily demand) is the real data.
Re-running the command is safe: each step notices what is already there.
"""
import secrets
import time
import urllib.request
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from forecasting import services as forecast_services
from forecasting.models import ForecastRun
from forecasting.tasks import run_forecast
from insights.models import Alert
from insights.tasks import run_checks
from inventory import services
from inventory.ingest.api import import_files
from inventory.models import Product, StockMovement, Supplier, Warehouse
from inventory.selectors import has_sales, last_sales_day, sales_day_count, units_by_pair
from inventory_site import progress
from inventory_site.roles import ADMIN
from replenishment.inputs import default_service_level
from replenishment.learned import rl_policy_path, train_catalogue_policy
from replenishment.models import PolicyReplayRun, ReorderSuggestion
from replenishment.tasks import run_replenishment

UCI_URL = "https://archive.ics.uci.edu/static/public/502/online+retail+ii.zip"
DEMO_USER = "demo"
DEMO_SUPPLIER_CODE = "DEMO-ASSUMED"
OPENING_NOTE = "demo opening count: Online Retail II has no stock data; set to ~3 weeks of recent average demand"
COVER_DAYS = 21
RECENT_DAYS = 56


# forecast runs dated this many weeks before the data's last day (Command._past_runs)
PAST_RUNS_WEEKS = (8, 4)


def _demo_training(seconds: float) -> dict:
    # Online Retail II is a seasonal weekly gift catalogue: its long silences are out-of-season
    # weeks, not stock-outs, and weight averaging lost there (TrainConfig's comments have the
    # numbers); bench.replenish with this setting orders at 0.97x the moving average's cost
    return {"max_seconds": seconds, "mask_stockouts": False, "ema_decay": 0.0}


class Command(BaseCommand):
    help = "Prepare the demo: staff login, real Online Retail II data, forecast, suggestions, alerts."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=str(settings.DATA_DIR), help="folder holding online_retail_ii/")
        parser.add_argument("--train-seconds", type=float, default=240.0, help="time budget of the model training")
        parser.add_argument("--skip-forecast", action="store_true", help="import and stock only")
        parser.add_argument("--skip-past-runs", action="store_true",
                            help="no forecast runs dated before the data's last day (the policy replay then "
                                 "decides from the sales history)")

    def handle(self, *args, data_dir, train_seconds, skip_forecast, skip_past_runs, **options):
        started = time.monotonic()
        password = self._staff_login()
        # every progress line of the work below (import rows, epochs, shards, passes) is printed
        with progress.echo_to(lambda line: self.stdout.write("  " + line)):
            self._import_sales(Path(data_dir))
            self._supplier_and_opening_stock()
            self._say_assumptions()
            if not skip_forecast:
                self._learned_policy()
                if not skip_past_runs:
                    self._past_runs(train_seconds / 2)
                self._forecast(train_seconds)
                self._replenish_and_watch()
        self.stdout.write(self.style.SUCCESS(f"\nDemo ready in {time.monotonic() - started:.0f} s."))
        self.stdout.write(f"Log in as  {DEMO_USER} / {password}   (also the admin at /admin/)")

    # -- steps -----------------------------------------------------------------------------

    def _staff_login(self) -> str:
        """A superuser `demo` whose password is kept in var/ so that every run prints the same one."""
        secret_file = Path(settings.VAR_DIR) / "demo-login.txt"
        if secret_file.exists():
            password = secret_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            secret_file.write_text(password + "\n")
            secret_file.chmod(0o600)
        user, _ = User.objects.get_or_create(username=DEMO_USER, defaults={"email": "demo@localhost"})
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=ADMIN))
        return password

    def _say_assumptions(self) -> None:
        level = default_service_level()
        self.stdout.write("Assumptions (the data does not say): 1) one supplier with a 14-day mean lead time (sd 3); "
                          "2) an opening stock of about three weeks of recent demand; 3) no unit costs, so every "
                          f"reorder decision targets the default {level:.0%} service level "
                          "(STOCKCAST_DEFAULT_SERVICE_LEVEL) instead of pricing holding.")

    def _online_retail_files(self, data_dir: Path) -> list[Path]:
        folder = data_dir / "online_retail_ii"
        files = sorted(folder.glob("*.csv.gz")) if folder.is_dir() else []
        if files:
            return files
        # Not bundled here: fetch the public UCI workbook once (needs internet).
        target = Path(settings.VAR_DIR) / "online_retail_ii"
        workbooks = sorted(target.glob("*.xlsx"))
        if workbooks:
            return workbooks
        self.stdout.write(f"{folder} not found; downloading the UCI workbook from {UCI_URL} ...")
        target.mkdir(parents=True, exist_ok=True)
        archive = target / "online_retail_ii.zip"
        try:
            urllib.request.urlretrieve(UCI_URL, archive)  # noqa: S310 (fixed https URL)
        except OSError as exc:
            raise CommandError(
                f"No Online Retail II data in {folder} and the download failed ({exc}). "
                f"Set STOCKCAST_DATA_DIR to a folder holding online_retail_ii/*.csv.gz."
            ) from exc
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(target)
        return sorted(target.rglob("*.xlsx"))

    def _import_sales(self, data_dir: Path) -> None:
        if has_sales():
            self.stdout.write(f"Sales already imported ({sales_day_count():,} product-days): skipping import.")
            return
        files = self._online_retail_files(data_dir)
        self.stdout.write(f"Importing Online Retail II from {', '.join(str(f) for f in files)} ...")
        summary = import_files("online_retail", files,
                               progress=lambda rows: progress.report("import: %s order lines read", f"{rows:,}"))
        self.stdout.write(
            f"  {summary.rows_read:,} order lines -> {summary.days_inserted:,} product-days, "
            f"{summary.products_created:,} products, {summary.warehouses_created} warehouses "
            f"({summary.rows_skipped:,} lines kept out of demand) in {summary.seconds:.0f} s"
        )

    def _supplier_and_opening_stock(self) -> None:
        supplier, _ = Supplier.objects.get_or_create(
            code=DEMO_SUPPLIER_CODE,
            defaults={
                "name": "Demo supplier (assumed: not in the data)", "currency": "GBP",
                "lead_time_mean_days": Decimal("14"), "lead_time_std_days": Decimal("3"),
            },
        )
        Product.objects.filter(supplier__isnull=True).update(supplier=supplier)
        if StockMovement.objects.filter(note=OPENING_NOTE).exists():
            self.stdout.write("Opening stock already set: skipping.")
            return
        newest = last_sales_day()
        if newest is None:
            return
        recent = units_by_pair(newest - timedelta(days=RECENT_DAYS - 1), newest)
        products = {p.pk: p for p in Product.objects.all()}
        warehouses = {w.pk: w for w in Warehouse.objects.all()}
        written = 0
        with transaction.atomic():
            for (product_id, warehouse_id), units in sorted(recent.items()):
                opening = round(units / RECENT_DAYS * COVER_DAYS)
                if opening <= 0:
                    continue
                services.record_movement(
                    product=products[product_id], warehouse=warehouses[warehouse_id],
                    kind="adjustment", quantity=opening, reference="demo opening count", note=OPENING_NOTE,
                    idempotency_key=f"demo-opening:{product_id}:{warehouse_id}",
                )
                written += 1
        self.stdout.write(f"Opening stock set for {written:,} product-warehouse pairs ({OPENING_NOTE}).")

    def _past_runs(self, train_seconds: float) -> None:
        """Forecast runs dated 8 and 4 weeks before the data's last day, each trained on the sales up to
        its day only: the runs a shop that had used stockcast then would have left. The policy replay
        of the last 8 weeks then decides base-stock, its cost-tuned variant and the learned policy
        from the forecast in force at each decision (rebuilt from these runs' models:
        forecasting/in_force.py), as in a shop's steady state, instead of from the sales history.
        Their follow-up work (suggestions and alerts of those days) is not recreated."""
        last = last_sales_day()
        if ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED, as_of=last).exists():
            # finishing later, a past run would become the current one in its place
            self.stdout.write("A successful forecast run as of the data's last day exists: no past runs added.")
            return
        for weeks in PAST_RUNS_WEEKS:
            day = last - timedelta(weeks=weeks)
            if ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED, as_of=day).exists():
                self.stdout.write(f"A successful forecast run as of {day} exists: skipping it.")
                continue
            self.stdout.write(f"Forecast run as of {day}, {weeks} weeks before the data's last day, on the sales up to "
                              f"then (budget {train_seconds:.0f} s), for the policy replay to read ...")
            run = forecast_services.create_run("global_tide", 28, 1, {"train": _demo_training(train_seconds)},
                                               as_of=day)
            try:
                forecast_services.start(run)
                forecast_services.train(run)
                run = ForecastRun.objects.select_related("model_version").get(pk=run.pk)   # the version train stored
                forecast_services.predict_shard(run, 0, 1)
                run = forecast_services.finalize(run)
            except Exception as exc:  # noqa: BLE001 (the demo goes on without it: the replay reads the sales history there)
                forecast_services.mark_failed(run.pk, str(exc))
                self.stdout.write(self.style.WARNING(f"  run {run.pk} failed ({exc}); the replay reads the sales "
                                                     f"history for the decisions it would have covered"))
                continue
            self.stdout.write(f"  run {run.pk} succeeded; its model: {run.start_note}")

    def _forecast(self, train_seconds: float) -> None:
        if ForecastRun.objects.filter(status=ForecastRun.Status.SUCCEEDED, as_of=last_sales_day()).exists():
            self.stdout.write("A successful forecast run as of the data's last day exists: skipping training.")
            return
        self.stdout.write(f"Training the global model and forecasting 28 days (budget {train_seconds:.0f} s; it "
                          "starts from the pretrained checkpoint, forecasting/checkpoints/MODEL_CARD.md) ...")
        run_id = run_forecast.delay(options={"train": _demo_training(train_seconds)}).get()
        run = ForecastRun.objects.get(pk=run_id)
        if run.status != ForecastRun.Status.SUCCEEDED:
            raise CommandError(f"Forecast run {run.pk} ended {run.status}: {run.error}")
        self.stdout.write(f"  run {run.pk} succeeded on {run.device}; its model: {run.start_note}; holdout metrics: "
                          f"{_short(run.metrics)}")

    def _learned_policy(self) -> None:
        """The learned reorder policy, trained on the catalogue's demand profiles before the forecast
        run, so that the policy replay that follows the run can weigh it against the rules (with no
        forecast yet its items span the sales history's statistics; the weekly retraining by beat
        spans the current forecast's, which is what it is fed)."""
        if rl_policy_path().exists():
            self.stdout.write(f"A learned reorder policy exists at {rl_policy_path()}: skipping its training.")
            return
        self.stdout.write("Training the learned reorder policy on the catalogue's demand profiles (DCL rounds below) ...")
        t0 = time.monotonic()
        as_of = last_sales_day()
        path = train_catalogue_policy(as_of=as_of, states_per_item=600, fit_steps=1500,
                                      log=lambda *a, **k: self.stdout.write("  " + " ".join(str(x) for x in a)))
        self.stdout.write(f"  saved {path} in {time.monotonic() - t0:.0f} s")

    def _replenish_and_watch(self) -> None:
        """A successful forecast run already queued both (its signal); run them only if missing."""
        # The data set ends years ago: decisions are taken as of its last day, not the calendar's.
        as_of = last_sales_day().isoformat()
        replay = PolicyReplayRun.objects.order_by("-created_at", "-id").first()
        if replay is not None:
            self.stdout.write(f"Policy replay of the last {replay.periods} weeks (cost per method): " + ", ".join(
                f"{m} {t['total_cost']:,.0f}" for m, t in sorted(replay.totals.items(), key=lambda kv: kv[1]["total_cost"]))
                + f"; methods chosen: {replay.selected.get('pairs')}; decisions from the forecast in force "
                f"{replay.demand_sources.get('forecast', 0):,}, from the sales history "
                f"{replay.demand_sources.get('sales_history', 0):,}; cost-tuned safety factors by demand class: "
                f"{replay.tuned_factors.get('factors') or 'none (no forecast was in force)'}")
        if not ReorderSuggestion.objects.exists():
            run_replenishment.delay(as_of=as_of).get()
        if not Alert.objects.exists():
            run_checks.delay(today=as_of).get()
        self.stdout.write(
            f"Reorder suggestions as of {as_of}: {ReorderSuggestion.objects.filter(status='pending').count():,} pending; "
            f"open alerts: {Alert.objects.exclude(status='resolved').count():,}"
        )

def _short(mapping) -> str:
    if not isinstance(mapping, dict):
        return str(mapping)
    parts = []
    for key, value in list(mapping.items())[:8]:
        parts.append(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
    return ", ".join(parts)
