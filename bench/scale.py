"""The whole pipeline at a mid-size retailer's size, through the product's own code.

    python -m bench.scale --series 30490 --days 1913 [--db postgres|sqlite] [--train-seconds 600]
                          [--json var/bench/scale.json] [--page-seconds 10] [--keep]

1. Generates (or reuses) a catalogue of that size in the M5 layout, resampled from the real
   M5 slice (bench/scale_catalogue.py), under var/scale/.
2. On a fresh database of its own (PostgreSQL `stockcast_bench_scale`, dropped at the end unless
   --keep; or an SQLite file under var/scale/), runs each step in a fresh Python process, which
   reports its own wall seconds and peak resident memory (getrusage maxrss):
   - import: `inventory.ingest.api.import_files("m5", ...)`, the path `manage.py import_sales` takes;
   - reimport: the same files again (must change nothing; the pipeline finds the same content
     and no sales written since, and reads nothing: inventory.ingest.loads);
   - reread: the same files again with `reread` (read, stage and compare every row: what a
     re-import of files that changed somewhere costs);
   - stock: 20 suppliers (lead time 7-21 days), unit costs, and an opening count of about three
     weeks of recent demand per pair, through `inventory.services.record_movement` (setup, not a
     target);
   - forecast: `manage.py forecast` (train under --train-seconds, backtest, predict 4 shards, write);
   - replay: `replenishment.replays.replay_history` (8 weeks, every method);
   - replenish: `replenishment.services.run_replenishment`;
   - alerts: `insights.tasks.run_checks` (stock risk, anomalies, stale data; drift).
3. Serves the database with gunicorn (2 sync workers; the cache in Redis, BENCH_REDIS_URL,
   default db 3, as a production install has it) and drives 4 concurrent clients for
   --page-seconds per page: dashboard, product list, one product page, suggestions, and the
   stock-list endpoint; p50/p99 per page.
4. Prints a table (with each step's target) and writes JSON:
   {"series", "days", "db", "steps": {NAME: {"seconds", "peak_mb", "rows"}}, "pages": {NAME:
   {"p50_ms", "p99_ms"}}, "database_mb", "rows_written"}.

A tenth of M5 (--series 3049) is the quick check. The machine is shared: seconds move with its
load, so the table also gives each step's rate (rows or series per second).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench import api as serving
from bench.scale_catalogue import FULL_DAYS, generate

REPO = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_DB = "stockcast_bench_scale"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
STEPS = ("import", "reimport", "reread", "stock", "forecast", "replay", "replenish", "alerts")
TARGETS = {  # issue #19, for the full size (30,490 x 1,913) on PostgreSQL
    "import": "< 600 s, < 4 GiB", "reimport": "< 300 s", "reread": "-", "forecast": "< 2700 s",
    "replenish": "< 180 s", "alerts": "< 120 s", "pages": "p99 < 300 ms at 4 clients",
}
PAGES = {"dashboard": "/", "product list": "/products/", "product page": None, "suggestions": "/suggestions/",
         "stock-list endpoint": "/api/v1/stock-levels/?page_size=50"}
SUPPLIERS = 20
COVER_DAYS, RECENT_DAYS = 21, 28


# --- child: one step in a fresh process ---------------------------------------------------------
def child(step: str, folder: str, train_seconds: float) -> None:
    import django

    django.setup()
    started = time.perf_counter()
    rows = globals()[f"_step_{step}"](Path(folder), train_seconds)
    seconds = rows.pop("seconds", None)  # a step may time its own part (the import: until committed)
    print("RESULT " + json.dumps({"seconds": round(seconds if seconds is not None else time.perf_counter() - started, 1),
                                  "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                                  "rows": rows}), flush=True)


def _step_import(folder: Path, _train, reread: bool = False) -> dict:
    from inventory.ingest.api import import_files
    from inventory.ingest.base import ImportOptions

    told = [0]

    def progress(rows: int) -> None:  # a line per million rows read, not one per chunk
        if rows >= told[0] + 1_000_000:
            told[0] = rows
            print(f"  import: {rows:,} rows read", flush=True)

    started = time.perf_counter()
    summary = import_files("m5", [folder], options=ImportOptions(reread=reread), progress=progress)
    # The step's time is the import's, until it committed. What the commit then sets off (the
    # alert checks, the warming of the pages' figures) runs here in process because this child
    # has no broker; in production a worker takes it. It is reported beside, and the alert
    # checks have their own step.
    return {"seconds": summary.seconds, "after_commit_seconds": round(time.perf_counter() - started - summary.seconds, 1),
            "phases": summary.phases, "read": summary.rows_read, "inserted": summary.days_inserted,
            "updated": summary.days_updated, "unchanged": summary.days_unchanged, "products": summary.products_created}


_step_reimport = _step_import


def _step_reread(folder: Path, train) -> dict:
    return _step_import(folder, train, reread=True)


def _step_stock(_folder, _train) -> dict:
    from datetime import timedelta
    from decimal import Decimal

    from django.db import transaction

    from inventory import services
    from inventory.models import Product, Supplier, Warehouse
    from inventory.selectors import last_sales_day, units_by_pair

    suppliers = [Supplier.objects.get_or_create(code=f"SUP{n:02d}", defaults={
        "name": f"Bench supplier {n}", "lead_time_mean_days": Decimal(7 + n % 15),
        "lead_time_std_days": Decimal(1 + n % 4)})[0] for n in range(SUPPLIERS)]
    products = list(Product.objects.all())
    for n, product in enumerate(products):
        product.supplier = suppliers[n % SUPPLIERS]
        product.unit_cost = (product.price * Decimal("0.6")).quantize(Decimal("0.01"))
    Product.objects.bulk_update(products, ["supplier", "unit_cost"], batch_size=2000)
    newest = last_sales_day()
    recent = units_by_pair(newest - timedelta(days=RECENT_DAYS - 1), newest)
    by_id = {p.pk: p for p in products}
    warehouses = {w.pk: w for w in Warehouse.objects.all()}
    written, pairs = 0, sorted(recent.items())
    for start in range(0, len(pairs), 1000):
        with transaction.atomic():
            for (product_id, warehouse_id), units in pairs[start:start + 1000]:
                opening = round(units / RECENT_DAYS * COVER_DAYS)
                if opening > 0:
                    services.record_movement(product=by_id[product_id], warehouse=warehouses[warehouse_id],
                                             kind="adjustment", quantity=opening, reference="bench.scale opening count",
                                             idempotency_key=f"scale-opening:{product_id}:{warehouse_id}")
                    written += 1
        print(f"  stock: {min(start + 1000, len(pairs)):,} of {len(pairs):,} pairs counted", flush=True)
    return {"movements": written, "products": len(products)}


def _step_forecast(_folder, train_seconds: float) -> dict:
    from django.core.management import call_command

    from forecasting.models import Forecast, ForecastRun

    call_command("forecast", "--no-text", "--no-explain", "--shards", "4", "--train-seconds", str(train_seconds))
    run = ForecastRun.objects.order_by("-pk").first()
    return {"series": run.n_series, "forecast_rows": Forecast.objects.filter(run=run).count(),
            "status": run.status, "metrics": {k: run.metrics.get(k) for k in ("wrmsse", "seasonal_naive_wrmsse")}}


def _step_replay(_folder, _train) -> dict:
    from inventory.selectors import last_sales_day
    from replenishment.replays import replay_history

    run = replay_history(periods=8, freq="W", as_of=last_sales_day())
    return {"pairs": run.selected.get("pairs"), "totals": {m: round(t["total_cost"]) for m, t in run.totals.items()}}


def _step_replenish(_folder, _train) -> dict:
    from inventory.selectors import last_sales_day
    from replenishment.services import run_replenishment

    return {"suggestions": len(run_replenishment(as_of=last_sales_day()))}


def _step_alerts(_folder, _train) -> dict:
    from insights.models import Alert
    from insights.tasks import run_checks
    from inventory.selectors import last_sales_day

    run_checks(today=last_sales_day().isoformat())
    return {"open_alerts": Alert.objects.exclude(status="resolved").count()}


# --- parent ---------------------------------------------------------------------------------------
def _admin(*statements: str) -> None:
    import psycopg  # only the PostgreSQL runs need the driver here

    with psycopg.connect(PG_SERVER.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _database(db: str, series: int, days: int, reuse: bool) -> str:
    """A fresh database, or with `reuse` the one a --keep run left (to time one step again)."""
    if db == "postgres":
        if not reuse:
            _admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)', f'CREATE DATABASE "{PG_DB}"')
        return f"{PG_SERVER}/{PG_DB}"
    path = REPO / "var" / "scale" / f"bench-{series}x{days}.sqlite3"
    if not reuse:
        path.unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _drop(db: str, url: str) -> None:
    if db == "postgres":
        _admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    else:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


def _run_step(step: str, folder: Path, train_seconds: float, env: dict) -> dict:
    print(f"step {step} ...", flush=True)
    command = [sys.executable, "-m", "bench.scale", "--child", step, "--folder", str(folder),
               "--train-seconds", str(train_seconds)]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    result = None
    for line in proc.stdout:
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
        else:
            print("  " + line.rstrip()[-200:], flush=True)
    if proc.wait() != 0 or result is None:
        raise SystemExit(f"step {step} failed (exit {proc.returncode})")
    print(f"step {step}: {result['seconds']} s, peak {result['peak_mb']} MB, {result['rows']}", flush=True)
    return result


def _flush_cache() -> None:
    import redis  # the client Django's Redis cache uses

    redis.Redis.from_url(REDIS).flushdb()


def _database_mb(db: str, url: str) -> float:
    if db == "postgres":
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://")) as conn:
            return round(conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20, 1)
    return round(Path(url.removeprefix("sqlite:///")).stat().st_size / 2**20, 1)


def _serve_pages(env: dict, seconds: float) -> dict:
    """Log a planner in (a real session row), serve with gunicorn, 4 clients per page."""
    code = ("import django, json; django.setup();"
            "from django.contrib.auth.models import Group, User;"
            "from django.contrib.sessions.backends.db import SessionStore;"
            "from rest_framework.authtoken.models import Token;"
            "from inventory.models import StockLevel;"
            "u, _ = User.objects.get_or_create(username='bench-scale', defaults={'is_staff': True});"
            "u.groups.add(Group.objects.get(name='planner'));"
            "s = SessionStore(); s['_auth_user_id'] = str(u.pk);"
            "s['_auth_user_backend'] = 'django.contrib.auth.backends.ModelBackend';"
            "s['_auth_user_hash'] = u.get_session_auth_hash(); s.create();"
            "sku = StockLevel.objects.order_by('id').values_list('product__sku', flat=True).first();"
            # What each import warmed (staff.warm); again here, as a --reuse run's import was long ago.
            "from staff.warm import sales_figures; sales_figures();"
            "print(json.dumps({'session': s.session_key, 'token': Token.objects.get_or_create(user=u)[0].key, 'sku': sku}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True)
    login = json.loads(out.stdout.strip().splitlines()[-1])
    port = serving.free_port()
    server = serving.start_gunicorn(env, port, workers=2)
    generator = "wrk" if subprocess.run(["which", "wrk"], capture_output=True).returncode == 0 else "httpx"
    pages = {}
    try:
        for name, path in PAGES.items():
            path = path or f"/products/{login['sku']}/"
            headers = ({"Authorization": f"Token {login['token']}"} if path.startswith("/api/")
                       else {"Cookie": f"sessionid={login['session']}"})
            serving.drive(generator, f"http://127.0.0.1:{port}", path, headers, 1, 2)  # warm the workers
            cell = serving.drive(generator, f"http://127.0.0.1:{port}", path, headers, 4, seconds)
            pages[name] = {"path": path, **{k: cell[k] for k in ("requests", "p50_ms", "p99_ms", "errors")}}
            print(f"page {name}: p50 {cell['p50_ms']} ms, p99 {cell['p99_ms']} ms ({cell['requests']} requests)", flush=True)
            serving.drain(f"http://127.0.0.1:{port}")
    finally:
        serving.stop(server)
    return pages


def print_table(result: dict) -> None:
    print(f"\nbench.scale: {result['series']:,} series x {result['days']:,} days on {result['db']} "
          f"({result['machine']})")
    print(f"{'step':<12} {'seconds':>9} {'peak MB':>8}  target (full size)   rows")
    for name, step in result["steps"].items():
        print(f"{name:<12} {step['seconds']:>9.1f} {step['peak_mb']:>8}  {TARGETS.get(name, '-'):<20} {step['rows']}")
    print(f"{'page':<20} {'p50 ms':>8} {'p99 ms':>8}  requests  errors")
    for name, page in result["pages"].items():
        print(f"{name:<20} {page['p50_ms']:>8} {page['p99_ms']:>8}  {page['requests']:>8}  {page['errors'] or ''}")
    print(f"database size: {result['database_mb']:,} MB")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=30490)
    parser.add_argument("--days", type=int, default=FULL_DAYS)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--train-seconds", type=float, default=600.0, help="the forecast run's training budget")
    parser.add_argument("--page-seconds", type=float, default=10.0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="run on the database a --keep run left (implies --keep), e.g. with --steps pages")
    parser.add_argument("--steps", default=",".join(STEPS + ("pages",)),
                        help="comma-separated steps to run, of: " + ", ".join(STEPS + ("pages",)))
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS + ("pages",)))
    if unknown:
        parser.error(f"--steps: unknown step(s) {', '.join(unknown)}")
    if args.child:
        child(args.child, args.folder, args.train_seconds)
        return 0

    folder = generate(args.series, args.days, REPO / "var" / "scale")
    url = _database(args.db, args.series, args.days, args.reuse)
    env = serving.configure_environment(url)
    # The cache of a production install: Redis, shared by the steps and every web process (the
    # import warms the pages' figures there). A database of its own, emptied with the database.
    env["REDIS_URL"] = os.environ["REDIS_URL"] = REDIS
    if not args.reuse:
        _flush_cache()
    subprocess.run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], cwd=REPO, env=env, check=True)
    result = {"series": args.series, "days": args.days, "db": args.db, "train_seconds": args.train_seconds,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores", "steps": {}, "pages": {}}
    try:
        for step in STEPS:
            if step in steps:
                result["steps"][step] = _run_step(step, folder, args.train_seconds, env)
        result["database_mb"] = _database_mb(args.db, url)
        if "pages" in steps:
            result["pages"] = _serve_pages(env, args.page_seconds)
    finally:
        if not (args.keep or args.reuse):
            _drop(args.db, url)
    print_table(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
