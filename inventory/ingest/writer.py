"""Write validated daily facts into SalesDay: staging table, then one set-based upsert.

Why a staging table: rows arrive in chunks and the same product x warehouse x day can appear in
several chunks (order lines of one day split across chunks, or the two Online Retail sheets). The
chunks go, pre-aggregated, into a temporary table; at the end one INSERT ... SELECT ... GROUP BY
... ON CONFLICT adds them up and upserts them. Python never holds more than one chunk, and the
database does the join to product and warehouse ids in one pass.

- PostgreSQL: each chunk goes in with COPY (psycopg 3 `cursor.copy`), the fastest way in.
- SQLite: executemany into the temporary table (SQLite has no COPY; in-process inserts are fast).

A large load into an empty table (a catalogue's first import) is every fact new: a plain INSERT
without the conflict handling, the sums skipped where the adapter vouches that no day repeats
(M5), and every index but the primary key dropped and built after by one sort each. At M5's full
size the upsert's speculative insertions and its random inserts into B-trees far larger than the
buffer cache were most of the import.

Everything, from the first staged row to the upsert and the catalogue, runs inside the caller's
transaction (see pipeline.py): a crash or a kill leaves the database as it was.

Conflict rule (a day that is already stored): `replace` (default) overwrites it with the new
file's figures, but only where they differ, so importing the same file twice changes nothing
(zero rows updated) and an overlapping newer file updates only the days whose figures changed
and adds the new ones. Why replace rather than skip: a day exported while it was still going on
(a partial day) or a corrected export must be able to fix the stored figures; the file is the
source of truth for the days it contains. `skip` keeps stored days untouched and only adds new
ones, for append-only feeds where stored history must never move.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from inventory.models import Category, Product, SalesDay, Warehouse
from inventory_site.pg_copy import copy_columns

from .catalogue import Catalogue

STAGE = "stockcast_ingest_stage"
DAYS = "stockcast_ingest_days"  # SQLite only: the staged facts summed per product x warehouse x day
FACT_COLUMNS = ["sku", "warehouse", "date", "units", "returned", "revenue", "price", "promo", "in_stock"]
SQLITE_CACHE_KIB = 256 * 1024
CONFLICT_MODES = ("replace", "skip")
DEFER_INDEXES_ROWS = 1_000_000  # staged facts from which a load into a smaller table builds indexes after
ANALYZE_AFTER_ROWS = 100_000  # days written by one import that refresh SalesDay's planner statistics
_COMPARED = ["units", "returned_units", "revenue", "avg_price", "on_promotion", "in_stock"]


@dataclass
class WriteCounts:
    days_inserted: int = 0
    days_updated: int = 0
    days_unchanged: int = 0
    products_created: int = 0
    products_updated: int = 0
    warehouses_created: int = 0
    categories_created: int = 0


class SalesWriter:
    def __init__(self, conflict: str = "replace"):
        if conflict not in CONFLICT_MODES:
            raise ValueError(f"conflict must be one of {CONFLICT_MODES}, not {conflict!r}")
        self.conflict = conflict
        self.postgres = connection.vendor == "postgresql"
        self.staged_rows = 0

    # --- staging --------------------------------------------------------------------------
    def open(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {STAGE}")
            if self.postgres:
                cur.execute(
                    f"CREATE TEMPORARY TABLE {STAGE} (sku text NOT NULL, warehouse text NOT NULL, date date NOT NULL,"
                    " units bigint NOT NULL, returned bigint NOT NULL, revenue numeric NOT NULL, price numeric,"
                    " promo boolean NOT NULL, in_stock boolean) ON COMMIT DROP"
                )
            else:
                # SQLite's default page cache is 2 MB: SalesDay's five indexes outgrow it at once and
                # every insert then pays disk reads. A larger cache for this connection is 3x faster.
                cur.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
                cur.execute(
                    f"CREATE TEMPORARY TABLE {STAGE} (sku TEXT NOT NULL, warehouse TEXT NOT NULL, date TEXT NOT NULL,"
                    " units INTEGER NOT NULL, returned INTEGER NOT NULL, revenue REAL NOT NULL, price REAL,"
                    " promo INTEGER NOT NULL, in_stock INTEGER)"
                )

    def stage(self, facts: pd.DataFrame) -> None:
        """facts: FACT_COLUMNS; date as datetime64; price and in_stock may be NaN."""
        if facts.empty:
            return
        if self.postgres:
            self.staged_rows += copy_columns(STAGE, _copy_columns(facts))
            return
        frame = facts[FACT_COLUMNS].copy()
        frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
        frame["units"] = frame["units"].astype("int64")
        frame["returned"] = frame["returned"].astype("int64")
        frame["revenue"] = frame["revenue"].astype(float).round(6)
        frame["promo"] = frame["promo"].astype(bool).astype(int)
        frame["in_stock"] = frame["in_stock"].astype(object).where(frame["in_stock"].notna(), None)
        frame["price"] = frame["price"].astype(object).where(frame["price"].notna(), None)
        with connection.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {STAGE} ({', '.join(FACT_COLUMNS)}) VALUES ({', '.join(['%s'] * len(FACT_COLUMNS))})",
                list(frame.itertuples(index=False, name=None)),
            )
        self.staged_rows += len(frame)

    def close(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {STAGE}")

    # --- the catalogue --------------------------------------------------------------------
    def write_catalogue(self, catalogue: Catalogue, counts: WriteCounts) -> None:
        self._categories(catalogue, counts)
        self._warehouses(catalogue, counts)
        self._products(catalogue, counts)

    def _categories(self, catalogue: Catalogue, counts: WriteCounts) -> None:
        pending = dict(catalogue.categories)
        known = dict(Category.objects.filter(code__in=list(pending)).values_list("code", "id"))
        pending = {code: spec for code, spec in pending.items() if code not in known}
        while pending:  # parents before children; a hierarchy is a few levels deep
            parents = {spec[1] for spec in pending.values() if spec[1]} - set(known)
            if parents:
                known.update(Category.objects.filter(code__in=list(parents)).values_list("code", "id"))
            ready = {c: s for c, s in pending.items() if s[1] is None or s[1] in known}
            if not ready:
                raise ValueError(f"categories with unknown parents: {sorted(pending)[:10]}")
            Category.objects.bulk_create(
                [Category(code=c, name=name[:200], parent_id=known.get(parent)) for c, (name, parent) in ready.items()]
            )
            known.update(Category.objects.filter(code__in=list(ready)).values_list("code", "id"))
            counts.categories_created += len(ready)
            pending = {c: s for c, s in pending.items() if c not in ready}

    def _warehouses(self, catalogue: Catalogue, counts: WriteCounts) -> None:
        known = set(Warehouse.objects.filter(code__in=list(catalogue.warehouses)).values_list("code", flat=True))
        missing = [Warehouse(code=code, name=name[:200]) for code, name in catalogue.warehouses.items() if code not in known]
        Warehouse.objects.bulk_create(missing)
        counts.warehouses_created += len(missing)

    def _products(self, catalogue: Catalogue, counts: WriteCounts) -> None:
        infos = catalogue.products
        category_ids = dict(
            Category.objects.filter(code__in={i.category for i in infos.values() if i.category}).values_list("code", "id")
        )
        existing = {p.sku: p for p in _in_batches(Product.objects.all(), "sku", list(infos))}
        # Stored history newer than this file's last row for a product: its name stays as it is.
        latest_stored = dict(
            SalesDay.objects.filter(product__in=[p.id for p in existing.values()])
            .values("product")
            .annotate(last=Max("date"))
            .values_list("product", "last")
        ) if existing else {}
        new, changed = [], []
        for sku, info in infos.items():
            price = round(info.price, 4) if info.price is not None and info.price > 0 else None
            category_id = category_ids.get(info.category) if info.category else None
            product = existing.get(sku)
            if product is None:
                new.append(Product(sku=sku, name=info.name, price=price or 0, category_id=category_id, brand=info.brand[:100]))
                continue
            last = latest_stored.get(product.id)
            if last is not None and info.as_of.date() < last:
                continue
            fields = {"name": info.name, "brand": info.brand[:100] or product.brand}
            if price is not None:
                fields["price"] = price
            if category_id is not None:
                fields["category_id"] = category_id
            dirty = [f for f, v in fields.items() if _differs(getattr(product, f), v)]
            if dirty:
                for f in dirty:
                    setattr(product, f, fields[f])
                product.updated_at = timezone.now()
                changed.append(product)
        Product.objects.bulk_create(new, batch_size=2000)
        if changed:
            Product.objects.bulk_update(changed, ["name", "brand", "price", "category_id", "updated_at"], batch_size=2000)
        counts.products_created += len(new)
        counts.products_updated += len(changed)

    # --- the upsert -----------------------------------------------------------------------
    def _defer_indexes(self, cur, table: str) -> list[str]:
        """A load larger than what the table holds (a rebuild, a large first file beside a small
        history) drops the table's non-unique indexes and returns their definitions, to be built
        again after the insert: one sorted build instead of millions of random inserts into
        B-trees that outgrow the cache (the (date) and (warehouse, date) indexes: the unique one
        and the primary key are filled in order and stay). Inside the import's transaction: a
        failure restores them, and until the commit readers of the table wait, which a table this
        new can afford."""
        if self.staged_rows < DEFER_INDEXES_ROWS:
            return []
        cur.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {table} LIMIT %s) stored", [self.staged_rows])
        if cur.fetchone()[0] >= self.staged_rows:
            return []
        return self._drop_indexes(cur, table, unique=False)

    def _empty_for_bulk_load(self, cur, table: str) -> bool:
        """A large load into an empty table (the first import of a catalogue) needs no conflict
        handling at all: every fact is new. The lock keeps other writers out until the commit (an
        import into the same table meanwhile would otherwise find it empty too); readers go on."""
        if self.staged_rows < DEFER_INDEXES_ROWS:
            return False
        cur.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
        return not cur.fetchone()[0]

    def _drop_indexes(self, cur, table: str, *, unique: bool) -> list[str]:
        """Drop the table's non-unique indexes (and with unique=True its unique constraints too,
        never the primary key); return the statements that build them again."""
        cur.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_index x"
            " ON x.indexrelid = format('%%I.%%I', i.schemaname, i.indexname)::regclass"
            " WHERE i.schemaname = current_schema() AND i.tablename = %s AND NOT x.indisunique", [table])
        indexes = cur.fetchall()
        rebuild = [definition for _, definition in indexes]
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        if unique:
            cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                        " WHERE conrelid = %s::regclass AND contype = 'u'", [table])
            for name, definition in cur.fetchall():
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cur.execute("SET LOCAL maintenance_work_mem = '1GB'")  # the builds sort in memory, or nearly
        return rebuild

    def upsert(self, counts: WriteCounts, carries_returns: bool = True, unique_facts: bool = False) -> None:
        """carries_returns=False: the source has no notion of returns (M5, wide tables, the cleaned
        Online Retail sheet with its cancellations removed), so a stored day keeps its returned_units
        instead of having them zeroed by a file that simply does not know them.

        unique_facts=True: the adapter vouches that no product x warehouse x day was staged twice
        (M5: each series is one row of the file), so a load into an empty table skips the sums. The
        unique constraint, built again at the end, would refuse the load if that were ever wrong."""
        table = SalesDay._meta.db_table
        product, warehouse = Product._meta.db_table, Warehouse._meta.db_table
        if self.postgres:
            agg_units, promo, in_stock = "SUM(s.units)", "BOOL_OR(s.promo)", "BOOL_AND(s.in_stock)"
        else:
            agg_units, promo, in_stock = "SUM(s.units)", "MAX(s.promo)", "MIN(s.in_stock)"
        aggregated = (
            f"SELECT p.id AS product_id, w.id AS warehouse_id, s.date AS date, {agg_units} AS units,"
            f" SUM(s.returned) AS returned_units, ROUND(SUM(s.revenue), 4) AS revenue, MAX(s.price) AS price,"
            f" {promo} AS on_promotion, {in_stock} AS in_stock"
            f" FROM {STAGE} s JOIN {product} p ON p.sku = s.sku JOIN {warehouse} w ON w.code = s.warehouse"
            f" GROUP BY p.id, w.id, s.date"
        )
        columns = "product_id, warehouse_id, date, units, returned_units, revenue, avg_price, on_promotion, in_stock"
        final = (
            "SELECT product_id, warehouse_id, date, units, returned_units, revenue,"
            " ROUND(CASE WHEN units > 0 THEN revenue / units ELSE price END, 4) AS avg_price, on_promotion, in_stock"
        )
        compared = [c for c in _COMPARED if carries_returns or c != "returned_units"]
        distinct = " IS DISTINCT FROM " if self.postgres else " IS NOT "
        if self.conflict == "skip":
            on_conflict, wanted = "DO NOTHING", "t.id IS NULL"
        else:
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in compared)
            changed = " OR ".join(f"{table}.{c}{distinct}EXCLUDED.{c}" for c in compared)
            on_conflict = f"DO UPDATE SET {sets} WHERE {changed}"
            wanted = "t.id IS NULL OR " + " OR ".join(f"t.{c}{distinct}n.{c}" for c in compared)

        def new_or_changed(source: str) -> str:
            # Rows that would change nothing are dropped by a join before the upsert: ON CONFLICT's
            # speculative insertion costs as much as an insert, so a re-import of unchanged days
            # would otherwise pay for every one of them.
            return (
                f"SELECT n.* FROM ({final} FROM {source}) n LEFT JOIN {table} t ON t.product_id = n.product_id"
                f" AND t.warehouse_id = n.warehouse_id AND t.date = n.date WHERE {wanted}"
                " ORDER BY n.product_id, n.warehouse_id, n.date"  # walk the unique index in order
            )

        with connection.cursor() as cur:
            if self.postgres:
                # Temporary tables are never auto-analysed; without statistics the planner guesses
                # the join and aggregate sizes badly. The sums also need more than 4 MB of work_mem.
                cur.execute(f"ANALYZE {STAGE}")
                cur.execute("SET LOCAL work_mem = '128MB'")
                if self._empty_for_bulk_load(cur, table):
                    # Every fact is new: a plain INSERT in the stage's order, and every index but the
                    # primary key built afterwards by one sort each (the unique one included).
                    deferred = self._drop_indexes(cur, table, unique=True)
                    source = (f"SELECT p.id AS product_id, w.id AS warehouse_id, s.date AS date, s.units AS units,"
                              f" s.returned AS returned_units, ROUND(s.revenue, 4) AS revenue, s.price AS price,"
                              f" s.promo AS on_promotion, s.in_stock AS in_stock FROM {STAGE} s"
                              f" JOIN {product} p ON p.sku = s.sku JOIN {warehouse} w ON w.code = s.warehouse"
                              ) if unique_facts else aggregated
                    cur.execute(f"INSERT INTO {table} ({columns}) {final} FROM ({source}) agg")
                    total = inserted = cur.rowcount
                    updated = 0
                else:
                    deferred = self._defer_indexes(cur, table)
                    cur.execute(
                        f"WITH agg AS MATERIALIZED ({aggregated}),"
                        f" up AS (INSERT INTO {table} ({columns}) {new_or_changed('agg')}"
                        f" ON CONFLICT (product_id, warehouse_id, date) {on_conflict} RETURNING (xmax = 0) AS inserted)"
                        " SELECT (SELECT COUNT(*) FROM agg), COUNT(*) FILTER (WHERE inserted),"
                        " COUNT(*) FILTER (WHERE NOT inserted) FROM up"
                    )
                    total, inserted, updated = cur.fetchone()
                for definition in deferred:
                    cur.execute(definition)
                if inserted + updated >= ANALYZE_AFTER_ROWS:
                    # A large load changes what the planner should expect of the table (how many
                    # days a pair has, how dates spread); autovacuum would get to it later, or never
                    # where it is off. A sampled ANALYZE takes seconds even at tens of millions.
                    cur.execute(f"ANALYZE {table}")
            else:
                # Materialise the sums once so that counting them is cheap.
                cur.execute(f"DROP TABLE IF EXISTS {DAYS}")
                cur.execute(f"CREATE TEMPORARY TABLE {DAYS} AS {aggregated}")
                cur.execute(f"SELECT COUNT(*) FROM {DAYS}")
                total = cur.fetchone()[0]
                cur.execute(f"SELECT COUNT(*) FROM {table}")
                before = cur.fetchone()[0]
                cur.execute(
                    f"INSERT INTO {table} ({columns}) {new_or_changed(DAYS)}"
                    f" ON CONFLICT (product_id, warehouse_id, date) {on_conflict}"
                )
                cur.execute("SELECT changes()")
                written = cur.fetchone()[0]
                cur.execute(f"SELECT COUNT(*) FROM {table}")
                inserted = cur.fetchone()[0] - before
                updated = written - inserted
                cur.execute(f"DROP TABLE {DAYS}")
        counts.days_inserted += inserted
        counts.days_updated += updated
        counts.days_unchanged += total - inserted - updated


def _copy_columns(facts: pd.DataFrame) -> dict:
    """The facts as Arrow columns in FACT_COLUMNS' order (pandas' to_csv was half of the whole
    import's time at 5 M rows)."""
    in_stock = facts["in_stock"]
    return {
        "sku": pa.array(facts["sku"].to_numpy(), pa.string()),
        "warehouse": pa.array(facts["warehouse"].to_numpy(), pa.string()),
        "date": pa.array(facts["date"].to_numpy().astype("datetime64[D]"), pa.date32()),
        "units": pa.array(facts["units"].to_numpy().astype("int64")),
        "returned": pa.array(facts["returned"].to_numpy().astype("int64")),
        "revenue": pa.array(facts["revenue"].astype(float).round(6).to_numpy()),
        "price": pa.array(facts["price"].astype(float).to_numpy(), from_pandas=True),  # NaN -> null
        "promo": pa.array(facts["promo"].astype(bool).to_numpy()),
        "in_stock": pa.array(in_stock.astype(float).to_numpy() == 1.0, mask=in_stock.isna().to_numpy()),
    }


def _differs(old, new) -> bool:
    if hasattr(old, "compare"):  # Decimal against float
        return abs(float(old) - float(new)) > 1e-9
    return old != new


def _in_batches(queryset, field: str, values: list, size: int = 5000):
    for start in range(0, len(values), size):
        yield from queryset.filter(**{f"{field}__in": values[start:start + size]})
