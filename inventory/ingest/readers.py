"""Read tabular files in chunks of plain strings: CSV (optionally gzip/bz2/zip/xz), Parquet, XLSX.

Every value arrives as a string ("" for empty) so that the adapters validate one way whatever the
file type, and report the value exactly as the user typed it. A file is never read whole: CSV and
Parquet are streamed by pandas/pyarrow, workbooks by openpyxl's read-only mode (row by row).

Every read is bounded (limits.py): decompressed bytes, rows, line length and time for all the
files of one import together, and the size of a workbook's parts before openpyxl opens it.

Line numbers: the header is line 1 and the n-th data row is line n + 1, which is what a text
editor shows for CSV and the row number a spreadsheet shows for XLSX. (A CSV field with an
embedded newline would make the editor's count drift from ours; none of the supported data sets
has one.)
"""
from __future__ import annotations

import bz2
import datetime as dt
import gzip
import io
import lzma
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from openpyxl import load_workbook

from .limits import RATIO_FLOOR_BYTES, BoundedStream, ImportLimitExceeded, ReadBudget

CHUNK_ROWS = 100_000


@dataclass
class Chunk:
    frame: pd.DataFrame  # str columns, index = line numbers of the rows in their file
    source: str  # file name (and sheet) for reports


def kind_of(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".csv", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz", ".txt", ".tsv", ".gz")):
        return "csv"
    raise ValueError(f"{path.name}: unsupported file type (expected .csv, .csv.gz, .parquet or .xlsx)")


class Table:
    """One table of a file: a CSV, a Parquet file or one sheet of a workbook."""

    def __init__(self, path: Path | str, sheet: str | None = None, chunk_rows: int = CHUNK_ROWS,
                 budget: ReadBudget | None = None):
        self.path = Path(path)
        self.budget = budget or ReadBudget()
        self.kind = kind_of(self.path)
        self.sheet = sheet
        self.chunk_rows = chunk_rows
        self.name = self.path.name + (f"[{sheet}]" if sheet else "")
        self._header: list[str] | None = None

    @property
    def header(self) -> list[str]:
        if self._header is None:
            self._header = [str(c).strip() for c in self._read_header()]
        return self._header

    def _read_header(self) -> list:
        if self.kind == "csv":
            with self._open_csv() as stream:
                return list(pd.read_csv(stream, nrows=0, sep="\t" if self._is_tsv else ",").columns)
        if self.kind == "parquet":
            return list(self._parquet_file().schema_arrow.names)
        ws, wb = self._worksheet()
        try:
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            return ["" if v is None else v for v in first]
        finally:
            wb.close()

    def chunks(self, usecols: list[str] | None = None) -> Iterator[Chunk]:
        reader = {"csv": self._csv_chunks, "parquet": self._parquet_chunks, "xlsx": self._xlsx_chunks}[self.kind]
        for frame in reader(usecols):
            self.budget.add_rows(len(frame), self.name)
            self.budget.check_time(self.name)
            yield Chunk(frame, self.name)

    # --- CSV ------------------------------------------------------------------------------
    @property
    def _is_tsv(self) -> bool:
        return self.path.name.lower().endswith(".tsv")

    def _open_csv(self) -> io.BufferedReader:
        """The file's decompressed bytes, through the budget."""
        name = self.path.name.lower()
        size = self.path.stat().st_size
        if name.endswith(".zip"):
            archive = zipfile.ZipFile(self.path)
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                archive.close()
                raise ValueError(f"{self.path.name}: a zipped CSV must hold exactly one file, found {len(members)}")
            raw, compressed = archive.open(members[0]), size
        elif name.endswith(".gz"):
            raw, compressed = gzip.open(self.path, "rb"), size
        elif name.endswith(".bz2"):
            raw, compressed = bz2.open(self.path, "rb"), size
        elif name.endswith(".xz"):
            raw, compressed = lzma.open(self.path, "rb"), size
        else:
            raw, compressed = open(self.path, "rb"), None
        return io.BufferedReader(BoundedStream(raw, self.budget, self.name, compressed), buffer_size=64 * 1024)

    def _csv_chunks(self, usecols):
        wanted = set(usecols) if usecols else None  # once: pandas calls the test per column per chunk
        with self._open_csv() as stream:
            reader = pd.read_csv(
                stream, dtype=str, keep_default_na=False, na_filter=False, chunksize=self.chunk_rows,
                sep="\t" if self._is_tsv else ",",
                usecols=(lambda c: str(c).strip() in wanted) if wanted else None,
            )
            line = 2
            for frame in reader:
                frame.columns = [str(c).strip() for c in frame.columns]
                frame.index = pd.RangeIndex(line, line + len(frame))
                line += len(frame)
                yield frame

    # --- Parquet --------------------------------------------------------------------------
    def _parquet_file(self) -> pq.ParquetFile:
        """The file, once its metadata says it fits the budget (rows, uncompressed bytes)."""
        parquet = pq.ParquetFile(self.path)
        meta = parquet.metadata
        limits = self.budget.limits
        if self.budget.rows + meta.num_rows > limits.max_rows:
            raise ImportLimitExceeded(self.name, "max_rows", limits.max_rows,
                                      f"the file declares {meta.num_rows} rows, more than the limit allows")
        inflated = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if self.budget.bytes + inflated > limits.max_bytes:
            raise ImportLimitExceeded(self.name, "max_bytes", limits.max_bytes,
                                      f"the file declares {inflated} bytes of data once decompressed")
        return parquet

    def _parquet_chunks(self, usecols):
        parquet = self._parquet_file()
        # The declared size counts once, when the data is read (the header read checks it too).
        self.budget.add_bytes(sum(parquet.metadata.row_group(i).total_byte_size
                                  for i in range(parquet.metadata.num_row_groups)), self.name)
        line = 2
        for batch in parquet.iter_batches(batch_size=self.chunk_rows, columns=usecols):
            frame = batch.to_pandas()
            for col in frame.columns:
                frame[col] = _as_text(frame[col])
            frame.columns = [str(c).strip() for c in frame.columns]
            frame.index = pd.RangeIndex(line, line + len(frame))
            line += len(frame)
            yield frame

    # --- XLSX -----------------------------------------------------------------------------
    def _worksheet(self):
        check_workbook(self.path, self.budget)
        wb = load_workbook(self.path, read_only=True, data_only=True)
        if self.sheet is None:
            return wb.worksheets[0], wb
        if self.sheet not in wb.sheetnames:
            wb.close()
            raise ValueError(f"{self.path.name}: no sheet named {self.sheet!r} (sheets: {wb.sheetnames})")
        return wb[self.sheet], wb

    def _xlsx_chunks(self, usecols):
        ws, wb = self._worksheet()
        try:
            rows = ws.iter_rows(values_only=True)
            header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
            keep = [i for i, name in enumerate(header) if not usecols or name in usecols]
            names = [header[i] for i in keep]
            buffer, line = [], 1
            for row in rows:
                line += 1
                if line % 10_000 == 0:
                    self.budget.check_time(self.name)
                if row is None or all(v is None for v in row):
                    continue  # trailing empty rows that spreadsheets like to keep
                buffer.append((line, [_cell_text(row[i]) if i < len(row) else "" for i in keep]))
                if len(buffer) >= self.chunk_rows:
                    yield _frame(buffer, names)
                    buffer = []
            if buffer:
                yield _frame(buffer, names)
        finally:
            wb.close()


def check_workbook(path: Path, budget: ReadBudget) -> None:
    """Refuse a workbook whose parts inflate beyond the bounds, before openpyxl reads any of them.

    openpyxl's read-only mode streams the sheets but reads all shared strings into memory first,
    so the uncompressed size of the zip's parts, not the file's size, is what a workbook costs.
    """
    limits = budget.limits
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{Path(path).name}: not a readable XLSX workbook ({exc})") from exc
    inflated = sum(m.file_size for m in members)
    compressed = sum(m.compress_size for m in members)
    name = Path(path).name
    if inflated > limits.max_xlsx_bytes:
        raise ImportLimitExceeded(name, "max_xlsx_bytes", limits.max_xlsx_bytes,
                                  f"the workbook's parts hold {inflated} bytes uncompressed")
    if inflated > RATIO_FLOOR_BYTES and inflated > limits.max_ratio * max(compressed, 1):
        raise ImportLimitExceeded(name, "max_ratio", limits.max_ratio,
                                  f"the workbook inflates {inflated / max(compressed, 1):.0f} times its compressed size")


def sheet_names(path: Path | str, budget: ReadBudget | None = None) -> list[str]:
    check_workbook(Path(path), budget or ReadBudget())
    wb = load_workbook(path, read_only=True)
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def _frame(buffer, names) -> pd.DataFrame:
    lines = [line for line, _ in buffer]
    return pd.DataFrame([values for _, values in buffer], columns=names, index=pd.Index(lines), dtype=str)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_text(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    out = series.astype(object).where(series.notna(), "")
    return out.map(_cell_text)
