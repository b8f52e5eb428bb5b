"""Read tabular files in chunks of plain strings: CSV (optionally gzip/bz2/zip/xz), Parquet, XLSX.

Every value arrives as a string ("" for empty) so that the adapters validate one way whatever the
file type, and report the value exactly as the user typed it. A file is never read whole: CSV and
Parquet are streamed by pandas/pyarrow, workbooks by openpyxl's read-only mode (row by row).

Line numbers: the header is line 1 and the n-th data row is line n + 1, which is what a text
editor shows for CSV and the row number a spreadsheet shows for XLSX. (A CSV field with an
embedded newline would make the editor's count drift from ours; none of the supported data sets
has one.)
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

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

    def __init__(self, path: Path | str, sheet: str | None = None, chunk_rows: int = CHUNK_ROWS):
        self.path = Path(path)
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
            return list(pd.read_csv(self.path, nrows=0, sep=None if self.path.name.endswith(".tsv") else ",").columns)
        if self.kind == "parquet":
            import pyarrow.parquet as pq

            return list(pq.ParquetFile(self.path).schema_arrow.names)
        ws, wb = self._worksheet()
        try:
            first = next(ws.iter_rows(max_row=1, values_only=True), ())
            return ["" if v is None else v for v in first]
        finally:
            wb.close()

    def chunks(self, usecols: list[str] | None = None) -> Iterator[Chunk]:
        reader = {"csv": self._csv_chunks, "parquet": self._parquet_chunks, "xlsx": self._xlsx_chunks}[self.kind]
        for frame in reader(usecols):
            yield Chunk(frame, self.name)

    # --- CSV ------------------------------------------------------------------------------
    def _csv_chunks(self, usecols):
        reader = pd.read_csv(
            self.path, dtype=str, keep_default_na=False, na_filter=False, chunksize=self.chunk_rows,
            sep="\t" if self.path.name.endswith(".tsv") else ",",
            usecols=(lambda c: str(c).strip() in set(usecols)) if usecols else None,
        )
        line = 2
        for frame in reader:
            frame.columns = [str(c).strip() for c in frame.columns]
            frame.index = pd.RangeIndex(line, line + len(frame))
            line += len(frame)
            yield frame

    # --- Parquet --------------------------------------------------------------------------
    def _parquet_chunks(self, usecols):
        import pyarrow.parquet as pq

        line = 2
        for batch in pq.ParquetFile(self.path).iter_batches(batch_size=self.chunk_rows, columns=usecols):
            frame = batch.to_pandas()
            for col in frame.columns:
                frame[col] = _as_text(frame[col])
            frame.columns = [str(c).strip() for c in frame.columns]
            frame.index = pd.RangeIndex(line, line + len(frame))
            line += len(frame)
            yield frame

    # --- XLSX -----------------------------------------------------------------------------
    def _worksheet(self):
        from openpyxl import load_workbook

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


def sheet_names(path: Path | str) -> list[str]:
    from openpyxl import load_workbook

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
