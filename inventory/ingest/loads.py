"""Which imports would change nothing: the content digest of an import and the sales-write counter.

A re-import of files that are already stored costs as much as the first import (read every
row, stage it, compare it with every stored day) to find that nothing changed: at M5's full
size, ten minutes. An import that commits records a SalesLoad: the SHA-256 of its format, its
options that shape what is written and the bytes of its files, and the SalesDay write counter
(a sequence a statement trigger advances, migration 0010) after its own writes. The same digest
again while the counter still reads the same means that no sales were written since, by anyone:
the stored days are what that import left, so the files are not read again.

What moves the counter: any INSERT, UPDATE, DELETE or TRUNCATE of SalesDay, a deleted product's
cascade included, even one that touched no row (a skip is then missed, never wrongly taken).
What does not: catalogue edits (a product renamed by staff keeps its new name, where reading the
file again would set the file's name back) and calendar events. `reread` reads the files anyway.
SQLite has no statement triggers: there every import reads its files.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.db import connection

from inventory.import_models import SalesLoad

from .base import ImportOptions

SEQUENCE = "inventory_salesday_writes"
# Bump when the import's mapping from files to rows changes: the same bytes then mean other rows.
MAPPING_VERSION = 1
_READ_BYTES = 1 << 20
# The options that decide what the same bytes become (chunk size, limits and the like do not).
_SHAPING = ("conflict", "auto_create_warehouses", "columns", "date_format", "default_warehouse", "country_map")


def tracked() -> bool:
    return connection.vendor == "postgresql"


def content_digest(format: str, paths: Sequence[Path], options: ImportOptions) -> str:
    shaping = {k: v for k, v in asdict(options).items() if k in _SHAPING}
    digest = hashlib.sha256(json.dumps({
        "mapping": MAPPING_VERSION, "format": format, "options": shaping,
        # Without its own map, Online Retail takes the setting's: it shapes the rows as well.
        "country_setting": getattr(settings, "STOCKCAST_COUNTRY_WAREHOUSES", None),
    }, sort_keys=True, default=str).encode())
    # The adapter's files: it has already expanded a folder (M5) into them, in a stable order.
    files = list(paths)
    if isinstance(options.country_map, str) and Path(options.country_map).is_file():
        files.append(Path(options.country_map))  # a map given as a file: its content, not its name
    for path in files:
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as handle:
            while block := handle.read(_READ_BYTES):
                digest.update(block)
    return digest.hexdigest()


def sales_writes() -> int:
    """The write counter now (inside a transaction: including its own writes)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {SEQUENCE}")
        return cur.fetchone()[0]


def unchanged_load(digest: str) -> SalesLoad | None:
    """The earlier import of the same content, if no sales were written since it."""
    if not tracked():
        return None
    latest = SalesLoad.objects.filter(digest=digest).order_by("-id").first()
    if latest is None or latest.sales_writes != sales_writes():
        return None
    return latest


def record(digest: str, format: str, paths: Sequence[Path], days: int) -> None:
    """Inside the import's transaction, after its writes: committed with them or not at all."""
    if tracked():
        SalesLoad.objects.create(digest=digest, format=format, files=[str(p) for p in paths], days=days,
                                 sales_writes=sales_writes())
