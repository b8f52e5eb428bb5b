"""Decompression and parse bombs: every import is bounded, and the error names the bound."""
import gzip
import time
import tracemalloc
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook

from inventory.ingest.api import import_files
from inventory.ingest.base import ImportOptions
from inventory.ingest.limits import ImportLimitExceeded, ReadLimits
from inventory.models import SalesDay

pytestmark = pytest.mark.django_db

HEADER = b"sku,warehouse,date,units\n"


def _rows(n: int) -> bytes:
    return HEADER + b"".join(b"A%d,W1,2024-01-%02d,1\n" % (i % 50, 1 + i % 28) for i in range(n))


def _import(path, **limits):
    return import_files("generic", [path], options=ImportOptions(limits=ReadLimits(**limits)))


def test_gzip_inflating_past_the_byte_limit_is_refused(tmp_path):
    path = tmp_path / "sales.csv.gz"
    path.write_bytes(gzip.compress(_rows(200_000)))
    with pytest.raises(ImportLimitExceeded) as refused:
        _import(path, max_bytes=1_000_000)
    assert refused.value.setting == "STOCKCAST_IMPORT_MAX_BYTES" and "max_bytes" in str(refused.value)
    assert not SalesDay.objects.exists()


def test_a_gzip_bomb_is_refused_by_its_inflation_ratio(tmp_path):
    path = tmp_path / "bomb.csv.gz"
    # 40 MB of one repeated row compresses about 1000:1
    path.write_bytes(gzip.compress(HEADER + b"A,W1,2024-01-01,1\n" * 2_300_000, compresslevel=9))
    assert path.stat().st_size < 200_000
    started = time.monotonic()
    with pytest.raises(ImportLimitExceeded) as refused:
        _import(path)
    assert refused.value.limit == "max_ratio" and "STOCKCAST_IMPORT_MAX_RATIO" in str(refused.value)
    assert time.monotonic() - started < 60
    assert not SalesDay.objects.exists()


def test_one_endless_line_is_refused_without_reading_it_into_memory(tmp_path):
    path = tmp_path / "line.csv.gz"
    path.write_bytes(gzip.compress(HEADER + b"A,W1,2024-01-01," + b"9" * 20_000_000 + b"\n"))
    tracemalloc.start()
    try:
        with pytest.raises(ImportLimitExceeded) as refused:
            _import(path, max_ratio=10**9)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.limit == "max_line_bytes"
    assert peak < 50_000_000  # the 20 MB line was never held whole (pandas' own buffers aside)


def test_rows_beyond_the_limit_are_refused(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(_rows(1_000))
    with pytest.raises(ImportLimitExceeded, match="more than 500 data rows"):
        import_files("generic", [path], options=ImportOptions(chunk_rows=100, limits=ReadLimits(max_rows=500)))
    assert not SalesDay.objects.exists()
    assert _import(path, max_rows=1_000).rows_read == 1_000


def test_the_time_budget_stops_a_slow_import(tmp_path):
    path = tmp_path / "slow.csv"
    path.write_bytes(_rows(1_000))
    with pytest.raises(ImportLimitExceeded, match="STOCKCAST_IMPORT_MAX_SECONDS"):
        _import(path, max_seconds=0)


def test_a_workbook_of_millions_of_shared_strings_is_refused_before_it_is_opened(tmp_path):
    """A small .xlsx whose sharedStrings part inflates far beyond its size on disk."""
    path = tmp_path / "strings.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.append(["sku", "warehouse", "date", "units"])
    ws.append(["A", "W1", "2024-01-01", 1])
    wb.save(path)
    # Rewrite the workbook with a huge (but very compressible) shared-strings part.
    source = zipfile.ZipFile(path)
    bombed = tmp_path / "bombed.xlsx"
    with zipfile.ZipFile(bombed, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            out.writestr(item, source.read(item.filename))
        strings = b"<sst>" + b"<si><t>x</t></si>" * 2_000_000 + b"</sst>"
        out.writestr("xl/sharedStrings.xml", strings)
    started = time.monotonic()
    with pytest.raises(ImportLimitExceeded) as refused:
        _import(bombed, max_xlsx_bytes=5_000_000)
    assert refused.value.limit == "max_xlsx_bytes"
    assert time.monotonic() - started < 5
    with pytest.raises(ImportLimitExceeded) as by_ratio:
        _import(bombed)
    assert by_ratio.value.limit == "max_ratio"
    assert _import(path).rows_read == 1


def test_parquet_declaring_too_many_rows_is_refused_from_its_metadata(tmp_path):
    path = tmp_path / "sales.parquet"
    pd.DataFrame({"sku": ["A"] * 300, "warehouse": ["W1"] * 300, "date": ["2024-01-01"] * 300,
                  "units": [1] * 300}).to_parquet(path)
    with pytest.raises(ImportLimitExceeded, match="declares 300 rows"):
        _import(path, max_rows=100)


def test_limits_come_from_settings_and_the_error_names_the_setting(tmp_path, settings):
    path = tmp_path / "sales.csv"
    path.write_bytes(_rows(100))
    settings.STOCKCAST_IMPORT_LIMITS = {"max_rows": 10}
    with pytest.raises(ImportLimitExceeded, match="STOCKCAST_IMPORT_MAX_ROWS"):
        import_files("generic", [path])
    settings.STOCKCAST_IMPORT_LIMITS = {}
    assert import_files("generic", [path]).rows_read == 100


def test_plain_and_zipped_files_still_import(tmp_path):
    plain = tmp_path / "a.csv"
    plain.write_bytes(_rows(10))
    zipped = tmp_path / "b.csv.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("b.csv", _rows(10))
    assert _import(plain).rows_read == 10 and _import(zipped).rows_read == 10
    two = tmp_path / "two.csv.zip"
    with zipfile.ZipFile(two, "w") as archive:
        archive.writestr("b.csv", _rows(1))
        archive.writestr("c.csv", _rows(1))
    with pytest.raises(ValueError, match="exactly one file"):
        _import(two)
