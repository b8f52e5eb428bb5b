"""The bounds of one import: decompressed bytes, rows, line length, time, and workbook size.

Every byte an import reads passes through :class:`BoundedStream` (CSV, in every compression) or a
check of the file's own metadata before it is opened (Parquet row groups, the parts of an XLSX
zip), so a small hostile file (a gzip that inflates to gigabytes, one endless line, a workbook of
millions of shared strings) is refused within its bounds, with an error that names the bound and
the setting that raises it. One :class:`ReadBudget` is shared by all the files of an import.
"""
from __future__ import annotations

import io
import time
from dataclasses import dataclass, fields

GIB = 1024 ** 3
MIB = 1024 ** 2
# Below this many inflated bytes the ratio rule does not apply: small, very regular test files
# compress far better than real sales files, and cannot hurt anyone.
RATIO_FLOOR_BYTES = 16 * MIB


@dataclass(frozen=True)
class ReadLimits:
    max_bytes: int = 8 * GIB  # decompressed bytes of all files of the import (M5 in full is ~2 GiB long)
    max_rows: int = 200_000_000  # data rows of all files (M5 in full is 58 M product-days)
    max_line_bytes: int = 64 * 1024  # one CSV line (an M5 wide row is ~6 KB)
    max_seconds: float = 3600.0  # reading and validating, from the start of the import
    max_ratio: float = 200.0  # inflated / compressed size of a compressed file (real sales CSV: 5-15)
    max_xlsx_bytes: int = 512 * MIB  # uncompressed parts of one workbook (openpyxl holds shared strings in memory)

    # The environment variable behind each bound (settings.py reads them; errors name them).
    SETTINGS = {
        "max_bytes": "STOCKCAST_IMPORT_MAX_BYTES",
        "max_rows": "STOCKCAST_IMPORT_MAX_ROWS",
        "max_line_bytes": "STOCKCAST_IMPORT_MAX_LINE_BYTES",
        "max_seconds": "STOCKCAST_IMPORT_MAX_SECONDS",
        "max_ratio": "STOCKCAST_IMPORT_MAX_RATIO",
        "max_xlsx_bytes": "STOCKCAST_IMPORT_MAX_XLSX_BYTES",
    }

    @classmethod
    def from_mapping(cls, values: dict) -> "ReadLimits":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names and v is not None})


class ImportLimitExceeded(ValueError):
    """A bound of the import was reached; nothing of the import is written."""

    def __init__(self, source: str, limit: str, value, what: str):
        setting = ReadLimits.SETTINGS[limit]
        super().__init__(f"{source}: {what} (limit {limit} = {value}; the setting {setting} raises it). "
                         f"Nothing was imported.")
        self.source, self.limit, self.setting = source, limit, setting


class ReadBudget:
    """What an import has used of its limits so far, across all its files."""

    def __init__(self, limits: ReadLimits | None = None):
        self.limits = limits or ReadLimits()
        self.bytes = 0
        self.rows = 0
        self.deadline = time.monotonic() + self.limits.max_seconds

    def add_bytes(self, n: int, source: str) -> None:
        self.bytes += n
        if self.bytes > self.limits.max_bytes:
            raise ImportLimitExceeded(source, "max_bytes", self.limits.max_bytes,
                                      f"more than {self.limits.max_bytes} bytes once decompressed")

    def add_rows(self, n: int, source: str) -> None:
        self.rows += n
        if self.rows > self.limits.max_rows:
            raise ImportLimitExceeded(source, "max_rows", self.limits.max_rows,
                                      f"more than {self.limits.max_rows} data rows")

    def check_time(self, source: str) -> None:
        if time.monotonic() > self.deadline:
            raise ImportLimitExceeded(source, "max_seconds", self.limits.max_seconds,
                                      f"reading took longer than {self.limits.max_seconds:g} s")


class BoundedStream(io.RawIOBase):
    """A read-only byte stream that enforces the budget on the bytes that pass through it.

    ``compressed_size`` is the size on disk of a compressed source (for the ratio rule), None for a
    plain file. Line length is followed across reads: the bytes since the last newline.
    """

    def __init__(self, raw, budget: ReadBudget, source: str, compressed_size: int | None = None):
        self._raw = raw
        self._budget = budget
        self._source = source
        self._compressed = compressed_size
        self._seen = 0
        self._since_newline = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        limits = self._budget.limits
        # Never more than a line's worth at once, so a line inside one read is within the bound too.
        view = memoryview(buffer)[: max(1, min(len(buffer), limits.max_line_bytes))]
        data = self._raw.read(len(view))
        n = len(data)
        if not n:
            return 0
        view[:n] = data
        self._seen += n
        self._budget.add_bytes(n, self._source)
        self._check_line(data)
        if (self._compressed is not None and self._seen > RATIO_FLOOR_BYTES
                and self._seen > limits.max_ratio * max(self._compressed, 1)):
            raise ImportLimitExceeded(self._source, "max_ratio", limits.max_ratio,
                                      f"inflates more than {limits.max_ratio:g} times its compressed size "
                                      f"({self._compressed} bytes on disk)")
        self._budget.check_time(self._source)
        return n

    def _check_line(self, data: bytes) -> None:
        limit = self._budget.limits.max_line_bytes
        first = data.find(b"\n")
        if first < 0:
            self._since_newline += len(data)
        elif self._since_newline + first > limit:
            self._since_newline += first
        else:
            self._since_newline = len(data) - data.rfind(b"\n") - 1
        if self._since_newline > limit:
            raise ImportLimitExceeded(self._source, "max_line_bytes", limit,
                                      f"a line is longer than {limit} bytes")

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()
