"""COPY columns into a PostgreSQL table in one statement.

Bulk writes of millions of rows (an import's staged sales, a forecast run's rows) go through
here: Arrow writes the CSV in C++ (pandas' to_csv, or rows built in Python, cost more than the
database's own work), and missing values become empty unquoted fields, which COPY reads as NULL.
"""
from __future__ import annotations

import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import connection


def copy_columns(table: str, columns: dict[str, pa.Array]) -> int:
    """Rows written. ``columns``: column name -> Arrow array, all of one length."""
    batch = pa.table(columns)
    sink = pa.BufferOutputStream()
    pacsv.write_csv(batch, sink, write_options=pacsv.WriteOptions(include_header=False))
    with connection.cursor() as cur:
        with cur.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy:
            copy.write(sink.getvalue().to_pybytes())
    return batch.num_rows
