"""Benchmark of the sales import: the whole Online Retail II (1.06 M order lines) into PostgreSQL and SQLite.

    python -m bench.ingest [--json var/bench/ingest.json] [--data ../shared/data] [--skip-naive] [--skip-sqlite]

For each database it times, each in a fresh subprocess on a freshly migrated empty database:
- `pipeline`: inventory.ingest (stream in chunks, staging table: COPY on PostgreSQL, one upsert);
- `reimport`: the same files again into the now full database (must change nothing; on
  PostgreSQL the pipeline sees the same content and no sales written since, and reads nothing);
- `reread`: the same again with `reread`, which reads, stages and compares every row (the cost of
  a re-import whose files did change somewhere);
- `naive`: the baseline a first version would write: the same adapter (same parsing and rules),
  facts summed in a Python dict, then the ORM (`bulk_create` of Products and of SalesDay objects
  in batches of 2,000, update_conflicts for the upsert).
It prints rows/s (order lines read per second), seconds, peak RSS of the importing process
(resource.getrusage maxrss) and the ratio naive / pipeline, and writes the same as JSON. The
PostgreSQL runs use a database of their own (stockcast_bench, created from a migrated template,
dropped afterwards); the SQLite runs use a file under a temporary folder. Timings on a shared
2-core machine move by +-30 % with the load: the ratios in one run are the figures to read.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres@127.0.0.1:5432")
PG_TEMPLATE, PG_DB = "stockcast_bench_template", "stockcast_bench"


# --- child: one timed import --------------------------------------------------------------------
def child(mode: str, files: list[str]) -> None:
    import resource

    import django

    django.setup()
    from inventory.ingest.api import import_files

    started = time.perf_counter()
    if mode == "naive":
        result = naive_import(files)
    else:
        from inventory.ingest.base import ImportOptions

        summary = import_files("online_retail", files, options=ImportOptions(reread=mode == "reread"))
        result = {"rows_read": summary.rows_read, "days_inserted": summary.days_inserted,
                  "days_updated": summary.days_updated, "days_unchanged": summary.days_unchanged,
                  "products_created": summary.products_created}
    result["seconds"] = time.perf_counter() - started
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result), flush=True)


def naive_import(files: list[str]) -> dict:
    """Same reading and rules as the pipeline; the writing done the plain ORM way."""
    from django.db import transaction

    from inventory.ingest.base import ImportOptions
    from inventory.ingest.catalogue import Catalogue
    from inventory.ingest.online_retail import OnlineRetailAdapter
    from inventory.ingest.report import ImportRefused, Report
    from inventory.models import Product, SalesDay, Warehouse

    report, catalogue = Report(), Catalogue()
    adapter = OnlineRetailAdapter([Path(f) for f in files], ImportOptions(), report, catalogue)
    days: dict[tuple, list] = {}
    for facts in adapter.facts():
        for sku, wh, date, units, returned, revenue in facts[["sku", "warehouse", "date", "units", "returned", "revenue"]].itertuples(index=False):
            acc = days.setdefault((sku, wh, date.date()), [0, 0, 0.0])
            acc[0] += units
            acc[1] += returned
            acc[2] += revenue
    if not report.ok:
        raise ImportRefused(report)
    with transaction.atomic():
        for code, name in catalogue.warehouses.items():
            Warehouse.objects.get_or_create(code=code, defaults={"name": name})
        Product.objects.bulk_create(
            [Product(sku=s, name=i.name, price=round(i.price or 0, 4)) for s, i in catalogue.products.items()],
            batch_size=2000, ignore_conflicts=True,
        )
        product_id = dict(Product.objects.values_list("sku", "id"))
        warehouse_id = dict(Warehouse.objects.values_list("code", "id"))
        rows = [
            SalesDay(product_id=product_id[sku], warehouse_id=warehouse_id[wh], date=date, units=u, returned_units=r,
                     revenue=round(rev, 4), avg_price=round(rev / u, 4) if u else None)
            for (sku, wh, date), (u, r, rev) in days.items()
        ]
        SalesDay.objects.bulk_create(
            rows, batch_size=2000, update_conflicts=True, unique_fields=["product", "warehouse", "date"],
            update_fields=["units", "returned_units", "revenue", "avg_price"],
        )
    return {"rows_read": adapter.rows_read, "days_inserted": len(rows), "days_updated": 0, "days_unchanged": 0,
            "products_created": len(catalogue.products)}


# --- parent ---------------------------------------------------------------------------------------
def run_child(mode: str, files: list[str], database_url: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="inventory_site.settings",
               DEBUG="0", SECRET_KEY=os.environ.get("SECRET_KEY", "bench-only-not-secret"))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "bench.ingest", "--child", mode, *files], cwd=REPO, env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{mode} on {database_url} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][7:]) | {"process_seconds": wall}


def migrate(database_url: str) -> None:
    env = dict(os.environ, DATABASE_URL=database_url, DEBUG="1")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=REPO, env=env, check=True,
                   capture_output=True)


def psql(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def postgres_runs(files, modes) -> list[dict]:
    psql(f"DROP DATABASE IF EXISTS {PG_DB}")
    psql(f"DROP DATABASE IF EXISTS {PG_TEMPLATE}")
    psql(f"CREATE DATABASE {PG_TEMPLATE}")
    results = []
    try:
        migrate(f"{PG_SERVER}/{PG_TEMPLATE}")
        for mode in modes:
            if mode not in ("reimport", "reread"):
                psql(f"DROP DATABASE IF EXISTS {PG_DB}")
                psql(f"CREATE DATABASE {PG_DB} TEMPLATE {PG_TEMPLATE}")
            results.append({"database": "postgresql", "mode": mode} | run_child(mode, files, f"{PG_SERVER}/{PG_DB}"))
            print(row(results[-1]), flush=True)
    finally:
        psql(f"DROP DATABASE IF EXISTS {PG_DB}")
        psql(f"DROP DATABASE IF EXISTS {PG_TEMPLATE}")
    return results


def sqlite_runs(files, modes) -> list[dict]:
    folder = Path(tempfile.mkdtemp(prefix="stockcast-bench-"))
    results = []
    try:
        template, db = folder / "template.sqlite3", folder / "bench.sqlite3"
        migrate(f"sqlite:///{template}")
        for mode in modes:
            if mode not in ("reimport", "reread"):
                shutil.copy(template, db)
            results.append({"database": "sqlite", "mode": mode} | run_child(mode, files, f"sqlite:///{db}"))
            print(row(results[-1]), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


HEADER = f"{'database':<11} {'mode':<9} {'lines':>10} {'seconds':>8} {'lines/s':>9} {'peak MiB':>9} {'days new':>9} {'unchanged':>9}"


def row(r: dict) -> str:
    return (f"{r['database']:<11} {r['mode']:<9} {r['rows_read']:>10,} {r['seconds']:>8.1f} "
            f"{r['rows_read'] / r['seconds']:>9,.0f} {r['peak_rss_mib']:>9,.0f} {r['days_inserted']:>9,} {r['days_unchanged']:>9,}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("files", nargs="*", help=argparse.SUPPRESS)
    ap.add_argument("--data", default=os.environ.get("STOCKCAST_DATA_DIR", str(REPO.parent / "shared" / "data")))
    ap.add_argument("--json", default="var/bench/ingest.json")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--skip-sqlite", action="store_true")
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, args.files)
        return 0
    files = sorted(str(p) for p in (Path(args.data) / "online_retail_ii").glob("*.csv.gz"))
    if len(files) != 2:
        raise SystemExit(f"expected the two Online Retail II sheets in {args.data}/online_retail_ii, found {files}")
    modes = ["pipeline", "reimport", "reread"] + ([] if args.skip_naive else ["naive"])
    print(f"# Online Retail II: {', '.join(Path(f).name for f in files)}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print(HEADER, flush=True)
    results = []
    if not args.skip_postgres:
        results += postgres_runs(files, modes)
    if not args.skip_sqlite:
        results += sqlite_runs(files, modes)
    ratios = {}
    for db in ("postgresql", "sqlite"):
        by_mode = {r["mode"]: r for r in results if r["database"] == db}
        if "pipeline" in by_mode and "naive" in by_mode:
            ratios[db] = by_mode["naive"]["seconds"] / by_mode["pipeline"]["seconds"]
            print(f"# {db}: naive ORM bulk_create / pipeline = {ratios[db]:.2f}x the time; "
                  f"peak memory {by_mode['naive']['peak_rss_mib']:.0f} vs {by_mode['pipeline']['peak_rss_mib']:.0f} MiB")
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"benchmark": "ingest", "data": "online_retail_ii", "files": files,
                               "load_average_at_start": os.getloadavg()[0], "cpus": os.cpu_count(),
                               "results": results, "naive_over_pipeline_time": ratios}, indent=2))
    print(f"# wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
