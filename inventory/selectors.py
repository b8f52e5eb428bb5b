"""Read-side queries shared by views, the API and the other apps.

Sales history is read here and nowhere else (the importer writes it; the REST list pages it).
Two conventions hold for every function below:

- a window is ``start <= date <= end``, both ends included;
- the stock-out rule: a day recorded out of stock (``SalesDay.in_stock`` False) had its sales
  capped by an empty shelf. Functions that return demand say what they do with such a day
  (``demand_history`` makes it NaN); functions that return sales count what was sold.
"""
import io
from datetime import date, datetime, time, timedelta
from itertools import islice

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDate, TruncWeek
from django.utils import timezone

from .models import MovementKind, SalesDay, StockLevel, StockMovement, Warehouse
from .purchasing.selectors import open_order_lines


def stock_levels_with_on_order() -> QuerySet[StockLevel]:
    """Stock levels annotated with `on_order` (units on open purchase orders) in one query."""
    outstanding = (
        open_order_lines()
        .filter(product=OuterRef("product"), order__warehouse=OuterRef("warehouse"))
        .values("product")
        .annotate(total=Sum(F("quantity_ordered") - F("quantity_received")))
        .values("total")
    )
    return StockLevel.objects.select_related("product", "warehouse").annotate(
        on_order=Coalesce(Subquery(outstanding, output_field=IntegerField()), Value(0)),
        available_units=F("on_hand") - F("reserved"),
    )


def _sales(start: date | None = None, end: date | None = None, *, product_ids=None, warehouse_ids=None,
           product=None, warehouse=None) -> QuerySet[SalesDay]:
    rows = SalesDay.objects.all()
    if start is not None:
        rows = rows.filter(date__gte=start)
    if end is not None:
        rows = rows.filter(date__lte=end)
    if product_ids is not None:
        rows = rows.filter(product_id__in=product_ids)
    if warehouse_ids is not None:
        rows = rows.filter(warehouse_id__in=warehouse_ids)
    if product is not None:
        rows = rows.filter(product=product)
    if warehouse is not None:
        rows = rows.filter(warehouse=warehouse)
    return rows


def has_sales() -> bool:
    return SalesDay.objects.exists()


def sales_day_count() -> int:
    return SalesDay.objects.count()


SALES_REVISION_KEY = "stockcast:sales-revision"


def sales_fingerprint() -> str:
    """Changes whenever sales change (a cache key part): rows added (the newest id), the newest
    day, and the revision every committed import bumps (an import that only corrects stored
    days adds no id). Two index look-ups: counting the rows would scan millions of them."""
    f = SalesDay.objects.aggregate(latest=Max("date"), last_id=Max("id"))
    return f"{f['last_id']}:{f['latest']}:{cache.get(SALES_REVISION_KEY, 0)}"


def note_sales_changed() -> None:
    """Called after a committed write of sales rows other than an insert (an import's upsert)."""
    cache.add(SALES_REVISION_KEY, 0, timeout=None)
    cache.incr(SALES_REVISION_KEY)


def last_sales_day(*, product=None, warehouse=None) -> date | None:
    """The newest day with sales (of one product or warehouse when given): "today" for decisions
    and pages on a historical data set."""
    if product is not None and warehouse is None:
        # One look-up of the (product, warehouse, date) index per warehouse. MAX(date) of one
        # product is planned as a backward scan of the date index that skips every other
        # product's rows of each day (30,000 a day at M5's full size: 0.2 s for one page).
        newest = SalesDay.objects.filter(product=product, warehouse=OuterRef("pk")).order_by("-date").values("date")[:1]
        return Warehouse.objects.annotate(last=Subquery(newest)).aggregate(d=Max("last"))["d"]
    return _sales(product=product, warehouse=warehouse).aggregate(d=Max("date"))["d"]


def first_sales_day(*, end: date | None = None, product_ids=None, warehouse_ids=None) -> date | None:
    """The oldest day with sales of these products and warehouses (up to ``end``)."""
    return _sales(None, end, product_ids=product_ids, warehouse_ids=warehouse_ids).aggregate(d=Min("date"))["d"]


def last_sales_day_by_warehouse() -> dict[int, date]:
    """Newest day with sales per warehouse id (warehouses without sales are absent).

    One look-up of the (warehouse, date) index per warehouse: a GROUP BY over every sales row
    read 50 M rows at M5's full size (17 s) for ten answers."""
    newest = SalesDay.objects.filter(warehouse=OuterRef("pk")).order_by("-date").values("date")[:1]
    rows = Warehouse.objects.annotate(last=Subquery(newest)).values_list("pk", "last")
    return {pk: last for pk, last in rows if last is not None}


def pairs_with_sales() -> set[tuple[int, int]]:
    """Every (product id, warehouse id) that has at least one sales row.

    On PostgreSQL by a skip scan of the unique (product, warehouse, date) index: one index probe
    per pair (30,000 at M5's size, well under a second) instead of a DISTINCT over every row (50 M
    rows read and hashed, 15 s), which PostgreSQL 15 cannot do by itself."""
    if connection.vendor != "postgresql":
        return set(SalesDay.objects.values_list("product_id", "warehouse_id").distinct())
    table = SalesDay._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"WITH RECURSIVE pairs AS ("
            f" (SELECT product_id, warehouse_id FROM {table} ORDER BY product_id, warehouse_id LIMIT 1)"
            f" UNION ALL SELECT n.product_id, n.warehouse_id FROM pairs, LATERAL ("
            f"  SELECT s.product_id, s.warehouse_id FROM {table} s"
            f"  WHERE (s.product_id, s.warehouse_id) > (pairs.product_id, pairs.warehouse_id)"
            f"  ORDER BY s.product_id, s.warehouse_id LIMIT 1) n)"
            f" SELECT product_id, warehouse_id FROM pairs")
        return {(int(p), int(w)) for p, w in cur.fetchall()}


def products_sold_in(warehouse) -> QuerySet:
    """Ids of products with sales in a warehouse, as a subquery."""
    return SalesDay.objects.filter(warehouse=warehouse).values("product_id")


def warehouses_selling(product) -> QuerySet:
    """Ids of warehouses with sales of a product, as a subquery."""
    return SalesDay.objects.filter(product=product).values("warehouse_id")


SALES_FIELDS = ("product_id", "warehouse_id", "date", "units", "revenue", "avg_price", "on_promotion", "in_stock")


def sales_tuples(start: date | None, end: date | None, *, fields=("product_id", "warehouse_id", "date", "units"),
                 product_ids=None, warehouse_ids=None, product=None, warehouse=None, on_promotion: bool | None = None):
    """Sales rows in the window as tuples of ``fields``, streamed from the database in chunks
    (memory does not grow with the window); see ``sales_rows`` for what a row means."""
    rows = _sales(start, end, product_ids=product_ids, warehouse_ids=warehouse_ids, product=product,
                  warehouse=warehouse)
    if on_promotion is not None:
        rows = rows.filter(on_promotion=on_promotion)
    return rows.values_list(*fields).iterator(chunk_size=20000)


SALES_COLUMNS = ("product_id", "warehouse_id", "date", "units", "avg_price", "on_promotion", "in_stock")
_ARROW_TYPES = {"product_id": pa.int64(), "warehouse_id": pa.int64(), "date": pa.date32(), "units": pa.float64(),
                "avg_price": pa.float64(), "on_promotion": pa.bool_(), "in_stock": pa.bool_()}
_COPY_BLOCK_BYTES = 32 << 20


def sales_columns(start: date | None, end: date | None, *, product_ids=None, warehouse_ids=None,
                  chunk_rows: int = 200_000):
    """Sales rows in the window as columns, in chunks: dicts of numpy arrays, one per name of
    SALES_COLUMNS (date as datetime64[D]; avg_price NaN where none; on_promotion bool; in_stock
    1.0, 0.0 or NaN where not recorded), in no particular order. For readers of the whole history
    (the forecast panel): at M5's full size a tuple and a Decimal per row was most of a forecast
    run's first ten minutes. PostgreSQL sends the rows with COPY as CSV, which Arrow parses in C++;
    other databases stream tuples, converted a chunk at a time."""
    rows = _sales(start, end, product_ids=product_ids, warehouse_ids=warehouse_ids).order_by() \
        .values_list(*SALES_COLUMNS)
    if connection.vendor == "postgresql":
        yield from _copied_columns(rows)
        return
    iterator = rows.iterator(chunk_size=20000)
    while chunk := list(islice(iterator, chunk_rows)):
        cols = list(zip(*chunk))
        yield {
            "product_id": np.array(cols[0], np.int64), "warehouse_id": np.array(cols[1], np.int64),
            "date": np.array(cols[2], dtype="datetime64[D]"), "units": np.array(cols[3], float),
            "avg_price": np.array(cols[4], dtype=float),  # None -> NaN
            "on_promotion": np.array(cols[5], bool), "in_stock": np.array(cols[6], dtype=float),
        }


def _copied_columns(rows: QuerySet):
    sql, params = rows.query.sql_with_params()
    read = pacsv.ReadOptions(column_names=list(SALES_COLUMNS))
    convert = pacsv.ConvertOptions(column_types=_ARROW_TYPES, true_values=["t"], false_values=["f"],
                                   strings_can_be_null=True)
    blocks, size = [], 0  # joined once per chunk: appending to one bytes object copies it every time
    with connection.cursor() as cur:
        with cur.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            for block in copy:
                blocks.append(bytes(block))
                size += len(block)
                if size >= _COPY_BLOCK_BYTES:
                    pending = b"".join(blocks)
                    cut = pending.rfind(b"\n") + 1
                    yield _arrow_columns(pacsv.read_csv(io.BytesIO(pending[:cut]), read_options=read,
                                                        convert_options=convert))
                    blocks, size = [pending[cut:]], len(pending) - cut
    pending = b"".join(blocks)
    if pending:
        yield _arrow_columns(pacsv.read_csv(io.BytesIO(pending), read_options=read, convert_options=convert))


def _arrow_columns(table) -> dict:
    out = {name: table.column(name).to_numpy(zero_copy_only=False) for name in ("product_id", "warehouse_id")}
    out["date"] = table.column("date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
    out["units"] = table.column("units").to_numpy(zero_copy_only=False).astype(float)
    out["avg_price"] = table.column("avg_price").fill_null(np.nan).to_numpy(zero_copy_only=False)
    out["on_promotion"] = table.column("on_promotion").fill_null(False).to_numpy(zero_copy_only=False)
    in_stock = table.column("in_stock")
    out["in_stock"] = np.where(in_stock.is_null().to_numpy(zero_copy_only=False), np.nan,
                               in_stock.fill_null(False).to_numpy(zero_copy_only=False).astype(float))
    return out


def sales_rows(start: date | None, end: date | None, *, fields=("product_id", "warehouse_id", "date", "units"),
               pairs=None, product_ids=None, warehouse_ids=None, product=None, warehouse=None,
               on_promotion: bool | None = None) -> pd.DataFrame:
    """Sales rows in the window as a frame with ``fields`` as columns, as recorded: a day
    without a row is a day without sales, and out-of-stock days keep their (capped) units with
    ``in_stock`` False, for the caller to treat as its job needs. ``pairs`` keeps exactly those
    (product id, warehouse id) pairs; ``on_promotion`` keeps only promoted (True) or unpromoted
    (False) days. Extra fields may name related columns (``product__category_id``)."""
    fields = list(fields)
    if pairs is not None:
        pairs = {(int(p), int(w)) for p, w in pairs}
        product_ids = {p for p, _ in pairs}
        warehouse_ids = {w for _, w in pairs}
        for needed in ("product_id", "warehouse_id"):
            if needed not in fields:
                fields.append(needed)
    frame = pd.DataFrame(list(sales_tuples(start, end, fields=fields, product_ids=product_ids,
                                           warehouse_ids=warehouse_ids, product=product, warehouse=warehouse,
                                           on_promotion=on_promotion)), columns=fields)
    if pairs is not None and len(frame):
        keep = [(p, w) in pairs for p, w in zip(frame["product_id"], frame["warehouse_id"])]
        frame = frame[keep].reset_index(drop=True)
    return frame


def units_by_pair(start: date, end: date, *, product_ids=None, warehouse_ids=None) -> dict[tuple[int, int], int]:
    """Units sold per (product id, warehouse id) in the window (out-of-stock days count what sold)."""
    rows = _sales(start, end, product_ids=product_ids, warehouse_ids=warehouse_ids) \
        .values("product_id", "warehouse_id").annotate(total=Sum("units"))
    return {(r["product_id"], r["warehouse_id"]): int(r["total"] or 0) for r in rows}


def sales_totals(start: date, end: date, *, product_ids=None, warehouse_ids=None) -> dict:
    """``{"units", "revenue"}`` summed over the window (None when nothing was recorded)."""
    t = _sales(start, end, product_ids=product_ids, warehouse_ids=warehouse_ids).aggregate(
        units=Sum("units"), revenue=Sum("revenue"))
    return {"units": t["units"], "revenue": t["revenue"]}


def daily_total_moments(start: date, end: date, *, product_ids=None) -> dict[int, tuple[date, int, float, float]]:
    """Per product id, over its daily totals (all warehouses added up) in the window:
    ``(first day with a row, days with units > 0, sum and sum of squares of those days' units)``,
    the inputs of the ADI / CV2 demand classes, summed by the database in one statement
    instead of streaming every row to Python (a year of a catalogue is millions of rows)."""
    if product_ids is not None and not len(product_ids):
        return {}  # an empty IN () has no SQL
    inner = _sales(start, end, product_ids=product_ids).values("product_id", "date").annotate(total=Sum("units"))
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT d.product_id, MIN(d.date), SUM(CASE WHEN d.total > 0 THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN d.total > 0 THEN d.total ELSE 0 END),"
            " SUM(CASE WHEN d.total > 0 THEN 1.0 * d.total * d.total ELSE 0 END)"
            f" FROM ({sql}) d GROUP BY d.product_id", params)
        rows = cur.fetchall()
    # SQLite returns the MIN of a date column as text.
    return {pid: (first if isinstance(first, date) else date.fromisoformat(first), int(n), float(total), float(squares))
            for pid, first, n, total, squares in rows}


def daily_units(product, start: date, end: date, warehouse=None) -> tuple[dict[date, int], set[date]]:
    """Units sold per day of one product (all warehouses added up unless one is given), and the
    days it was on promotion anywhere in that scope."""
    rows = _sales(start, end, product=product, warehouse=warehouse)
    daily = dict(rows.values("date").annotate(u=Sum("units")).values_list("date", "u"))
    promo_days = set(rows.filter(on_promotion=True).values_list("date", flat=True).distinct())
    return daily, promo_days


def stock_out_summary(start: date, end: date, *, warehouse=None, product_ids=None) -> dict[tuple[int, int], dict]:
    """Per (product id, warehouse id) over the window: units in all and on in-stock days, days in
    and out of stock, and the days and units whose in-stock flag is known (the stock-out rule's
    inputs for fill rates: data without flags has none)."""
    rows = _sales(start, end, warehouse=warehouse, product_ids=product_ids).values(
        "product_id", "warehouse_id").annotate(
        units_total=Sum("units"),
        units_in_stock=Sum("units", filter=~Q(in_stock=False)),
        days_in_stock=Count("id", filter=~Q(in_stock=False)),
        stockout_days=Count("id", filter=Q(in_stock=False)),
        days_total=Count("id"),
        days_flagged=Count("id", filter=Q(in_stock__isnull=False)),
        units_flagged=Sum("units", filter=Q(in_stock__isnull=False)),
    )
    return {(r["product_id"], r["warehouse_id"]): r for r in rows}


def demand_history(pairs, start: date, end: date) -> dict[tuple[int, int], np.ndarray]:
    """Daily units sold per (product id, warehouse id) from ``start`` to ``end`` inclusive:
    the one reading of sales history that decisions use (suggestions, the policy replay).

    The stock-out rule: a day recorded out of stock (``SalesDay.in_stock`` False) is NaN,
    because its sales were capped by an empty shelf and say nothing about demand. A day
    without a row inside a pair's span is a day without sales (0). Before a pair's first
    record there is no evidence the pair existed, so the array starts there; a pair with no
    record in the window is left out.
    """
    days = (end - start).days + 1
    wanted = {(int(p), int(w)) for p, w in pairs}
    if days <= 0 or not wanted:
        return {}
    out: dict[tuple[int, int], np.ndarray] = {}
    first: dict[tuple[int, int], int] = {}
    rows = sales_tuples(start, end, fields=("product_id", "warehouse_id", "date", "units", "in_stock"),
                        product_ids={k[0] for k in wanted}, warehouse_ids={k[1] for k in wanted})
    for pid, wid, day, units, in_stock in rows:
        key = (pid, wid)
        if key not in wanted:
            continue
        series = out.get(key)
        if series is None:
            series = out[key] = np.zeros(days)
        i = (day - start).days
        series[i] = np.nan if in_stock is False else max(units, 0)
        first[key] = min(first.get(key, i), i)
    return {k: v[first[k]:] for k, v in out.items()}


def weekly_in_stock(start: date, end: date) -> list[dict]:
    """Per week (Monday) of recorded sales in the window: product x warehouse days whose in-stock
    flag is known, how many of them were in stock, and the share (None for a week without flags)."""
    rows = (_sales(start, end).annotate(week=TruncWeek("date")).values("week")
            .annotate(flagged=Count("id", filter=Q(in_stock__isnull=False)), in_stock=Count("id", filter=Q(in_stock=True)))
            .order_by("week"))
    out = []
    for r in rows:
        week = r["week"].date() if hasattr(r["week"], "date") else r["week"]
        out.append({"week": week, "flagged": r["flagged"], "in_stock": r["in_stock"],
                    "share": r["in_stock"] / r["flagged"] if r["flagged"] else None})
    return out


def stock_value_by_week(weeks: int, today: date) -> list[dict]:
    """Stock value at today's unit costs at the end of each of the last ``weeks`` weeks, rebuilt
    from the ledger: today's value minus the value of every movement booked after that week."""
    money = DecimalField(max_digits=24, decimal_places=4)
    current = StockLevel.objects.aggregate(
        v=Sum(ExpressionWrapper(F("on_hand") * F("product__unit_cost"), output_field=money)))["v"] or 0
    ends = [today - timedelta(days=7 * k) for k in range(weeks - 1, -1, -1)]
    booked = (StockMovement.objects.filter(created_at__date__gt=ends[0])
              .annotate(day=TruncDate("created_at")).values("day")
              .annotate(value=Sum(ExpressionWrapper(F("quantity") * F("product__unit_cost"), output_field=money))))
    later = [(r["day"], float(r["value"] or 0)) for r in booked]
    return [{"week_end": end, "value": float(current) - sum(v for day, v in later if day > end)} for end in ends]


def local_midnight(day: date):
    """The first instant of a local day (the project's TIME_ZONE), as an aware datetime: where the
    ledger's days begin (its lines are stamped with instants, sales with local dates)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def stock_on_hand_at(pairs, day: date) -> dict[tuple[int, int], int]:
    """On hand per (product id, warehouse id) at the end of local ``day``, from the stock ledger:
    the balance after the pair's last movement by then. A pair the ledger had not seen by then is
    absent: its stock that day is unknown."""
    keys = set(pairs)
    if not keys:
        return {}
    last = Window(RowNumber(), partition_by=[F("product_id"), F("warehouse_id")],
                  order_by=[F("created_at").desc(), F("id").desc()])
    rows = (StockMovement.objects
            .filter(product_id__in={p for p, _ in keys}, warehouse_id__in={w for _, w in keys},
                    created_at__lt=local_midnight(day + timedelta(days=1)))
            .annotate(newest=last).filter(newest=1)
            .values_list("product_id", "warehouse_id", "balance_after"))
    return {(p, w): int(b) for p, w, b in rows if (p, w) in keys}


def receipts_of_orders_placed_by(pairs, day: date, last_day: date) -> list[tuple[int, int, date, int]]:
    """``(product id, warehouse id, local date, units)`` of the purchase-order receipts booked
    after ``day`` up to ``last_day`` for orders placed (sent, or approved if never marked sent) by
    the end of ``day``: what was in transit at the end of ``day``, and when it came."""
    keys = set(pairs)
    if not keys:
        return []
    end = local_midnight(day + timedelta(days=1))
    placed = Q(purchase_order_line__order__sent_at__lt=end) | Q(
        purchase_order_line__order__sent_at__isnull=True, purchase_order_line__order__approved_at__lt=end)
    rows = (StockMovement.objects
            .filter(placed, kind=MovementKind.RECEIPT, purchase_order_line__isnull=False,
                    product_id__in={p for p, _ in keys}, warehouse_id__in={w for _, w in keys},
                    created_at__gte=end, created_at__lt=local_midnight(last_day + timedelta(days=1)))
            .values_list("product_id", "warehouse_id", "created_at", "quantity"))
    return [(p, w, timezone.localtime(at).date(), int(q)) for p, w, at, q in rows if (p, w) in keys]
