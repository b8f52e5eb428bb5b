"""The one entry point of the import pipeline, for the command, the Celery task, the API, `demo`.

    import_files(format, paths, *, options=None, dry_run=False, progress=None, before_commit=None)
        -> ImportSummary   (raises ImportRefused when the files have bad rows: nothing written)

Before anything is read: the same files (same bytes, same options) already imported, with no
sales written since, would change nothing; they are not read again (loads.py; `reread` does).

Order of work, all inside one database transaction:
1. the adapter streams the files chunk by chunk, validating every row; while the report is
   clean, each chunk's daily facts go into a temporary staging table (COPY on PostgreSQL);
2. if any row was bad: roll back, raise ImportRefused with the report (nothing was written);
3. otherwise write the catalogue (categories, warehouses, products), then one upsert from the
   staging table into SalesDay, then calendar events; commit (or roll back for a dry run).

A crash or a kill at any point before the commit leaves the database exactly as it was.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DataError, transaction

from inventory.import_models import CalendarEvent
from inventory.models import Warehouse
from inventory.revisions import STOCK
from inventory.selectors import note_sales_changed
from inventory.signals import sales_imported

from .base import ImportOptions
from .catalogue import Catalogue
from .generic import GenericAdapter
from . import loads
from .limits import ReadLimits
from .m5 import M5Adapter
from .online_retail import OnlineRetailAdapter
from .report import ImportRefused, Report
from .wide import WideAdapter
from .writer import SalesWriter, WriteCounts

ADAPTERS = {a.format: a for a in (GenericAdapter, OnlineRetailAdapter, M5Adapter, WideAdapter)}
FORMATS = tuple(ADAPTERS)


@dataclass(kw_only=True)
class ImportSummary(WriteCounts):
    """What an import did: the writer's counts (inherited) plus what was read and skipped."""

    format: str
    files: list[str]
    dry_run: bool
    rows_read: int = 0
    facts_staged: int = 0
    calendar_events_created: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # seconds: read_and_stage, catalogue, sales_days, ...
    unchanged_since: str | None = None  # set when the files were not read: when they were imported

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    def as_dict(self) -> dict:
        return asdict(self) | {"rows_skipped": self.rows_skipped}


class _DryRunRollback(Exception):
    pass


class _Phases:
    """Seconds of each phase into a dict, for the summary (where a slow import spends its time)."""

    def __init__(self, into: dict, started: float):
        self.into, self.last = into, started

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.into[name] = round(now - self.last, 3)
        self.last = now


def import_files(
    format: str,
    paths: Sequence[str | Path],
    *,
    options: ImportOptions | None = None,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[], None] | None = None,
) -> ImportSummary:
    """Import sales files of one format. progress(rows_read) is called after every chunk."""
    if format not in ADAPTERS:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    options = options or ImportOptions()
    if options.limits is None:
        options.limits = configured_limits()
    if not options.auto_create_warehouses:
        options.known_warehouses = frozenset(Warehouse.objects.values_list("code", flat=True))
    report, catalogue = Report(), Catalogue()
    adapter = ADAPTERS[format]([Path(p) for p in paths], options, report, catalogue)
    summary = ImportSummary(format=format, files=[str(p) for p in paths], dry_run=dry_run)
    started = time.perf_counter()
    phase = _Phases(summary.phases, started)
    digest = loads.content_digest(format, adapter.paths, options) if loads.tracked() else None
    earlier = loads.unchanged_load(digest) if digest and not (options.reread or dry_run) else None
    phase.done("digest")
    if earlier is not None:
        summary.days_unchanged = earlier.days
        summary.unchanged_since = earlier.created_at.isoformat()
        summary.seconds = round(time.perf_counter() - started, 3)
        return summary
    writer = SalesWriter(conflict=options.conflict)
    try:
        with transaction.atomic(), _out_of_range_is_refused():
            writer.open()
            for facts in adapter.facts():
                if report.ok:
                    writer.stage(facts)
                if progress:
                    progress(adapter.rows_read)
            summary.rows_read = adapter.rows_read
            phase.done("read_and_stage")
            if not report.ok:
                raise ImportRefused(report)
            writer.write_catalogue(catalogue, summary)
            phase.done("catalogue")
            writer.upsert(summary, carries_returns=adapter.carries_returns, unique_facts=adapter.unique_facts)
            phase.done("sales_days")
            summary.calendar_events_created = _write_events(getattr(adapter, "events", []))
            writer.close()
            summary.facts_staged = writer.staged_rows
            if digest and not dry_run:
                loads.record(digest, format, adapter.paths,
                             summary.days_inserted + summary.days_updated + summary.days_unchanged)
            phase.done("events")
            if before_commit:
                before_commit()
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    summary.skipped = dict(sorted(report.skipped.items(), key=lambda kv: -kv[1]))
    summary.seconds = round(time.perf_counter() - started, 3)
    if not dry_run:
        # After the commit: listeners (alert checks) must see the new sales, and must not run
        # if an outer transaction of the caller rolls everything back.
        transaction.on_commit(lambda: _after_commit(summary))
    return summary


def _after_commit(summary: ImportSummary) -> None:
    if summary.days_updated:
        note_sales_changed()  # new rows move the fingerprint by themselves; corrected ones do not
    if summary.products_created or summary.products_updated:
        STOCK.note_changed()  # products are written in bulk: costs and prices the stock figures read
    sales_imported.send(sender=import_files, summary=summary)


class ValueOutOfRange(ValueError):
    """A day's total of the file does not fit the database (every row did on its own)."""


class _out_of_range_is_refused:
    """Rows are bounded one by one (parse.MAX_UNITS, MAX_PRICE); a sum of many rows of one day can
    still overflow a column. The database says so with a DataError: refuse the file, naming it."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is not None and issubclass(kind, DataError):
            raise ValueOutOfRange(f"a day's total in these files is too large for the database ({exc}). "
                                  "Nothing was imported.") from exc
        return False


def configured_limits() -> ReadLimits:
    """The import bounds of settings.STOCKCAST_IMPORT_LIMITS (from STOCKCAST_IMPORT_MAX_* variables)."""
    return ReadLimits.from_mapping(getattr(settings, "STOCKCAST_IMPORT_LIMITS", {}))


def _write_events(events: list[tuple]) -> int:
    if not events:
        return 0
    codes = {e[3] for e in events if e[3]}
    warehouse_ids = dict(Warehouse.objects.filter(code__in=codes).values_list("code", "id"))
    dates = [e[0] for e in events]
    existing = set(
        CalendarEvent.objects.filter(date__gte=min(dates), date__lte=max(dates)).values_list("date", "name", "warehouse_id")
    )
    new = []
    for day, name, kind, code in events:
        key = (day, name, warehouse_ids.get(code) if code else None)
        if key not in existing:
            existing.add(key)
            new.append(CalendarEvent(date=day, name=name, event_type=kind, warehouse_id=key[2]))
    CalendarEvent.objects.bulk_create(new, batch_size=2000)
    return len(new)
