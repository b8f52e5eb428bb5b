"""Vectorised parsing of string columns, with every bad value reported by line and column.

Each parser returns the parsed column (NaN/NaT where the value was bad or empty) and records a
Problem for each bad value; the caller drops those rows. Sales columns repeat themselves (a
million order lines hold about 25,000 distinct timestamps and a few thousand codes), so every
parser works on the distinct values of the chunk (pandas.factorize) and maps the result back:
about ten times faster than parsing each cell.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .report import Report

TRUE_WORDS = {"1", "true", "t", "yes", "y", "on"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "off", ""}


def per_unique(raw: pd.Series, transform: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """transform() applied to the distinct values only, result aligned with raw."""
    codes, uniques = pd.factorize(raw, sort=False)
    done = transform(pd.Series(uniques, dtype=object))
    return pd.Series(done.to_numpy()[codes], index=raw.index, dtype=done.dtype)


def _report_bad(report: Report, source: str, column: str, raw: pd.Series, bad: pd.Series, reason: str) -> None:
    if bad.any():
        hits = raw[bad]
        report.add_many(source, hits.index, column, hits.values, reason)


def text(raw: pd.Series) -> pd.Series:
    return per_unique(raw, lambda u: u.str.strip()).astype(object)


def required_text(raw: pd.Series, report: Report, source: str, column: str, max_length: int | None = None) -> pd.Series:
    value = text(raw)
    _report_bad(report, source, column, raw, value.eq(""), "required value is empty")
    if max_length:
        _report_bad(report, source, column, raw, value.str.len() > max_length, f"longer than {max_length} characters")
    return value


def _to_datetime(fmt: str | None):
    def convert(u: pd.Series) -> pd.Series:
        return pd.to_datetime(u.str.strip(), format=fmt or "ISO8601", errors="coerce")
    return convert


def timestamps(raw: pd.Series, report: Report, source: str, column: str, fmt: str | None = None) -> pd.Series:
    """Dates with their time of day. fmt: a strftime format; default ISO 8601 (date or date time)."""
    parsed = per_unique(raw, _to_datetime(fmt))
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    empty = per_unique(raw, lambda u: u.str.strip().eq("")).astype(bool)
    _report_bad(report, source, column, raw, empty, "required date is empty")
    _report_bad(report, source, column, raw, parsed.isna() & ~empty,
                f"not a date in the expected format ({fmt or 'ISO 8601, e.g. 2011-12-09 or 2011-12-09 12:50:00'})")
    return parsed


def dates(raw: pd.Series, report: Report, source: str, column: str, fmt: str | None = None) -> pd.Series:
    """Calendar days (any time of day dropped)."""
    return timestamps(raw, report, source, column, fmt).dt.normalize()


# The largest count one row may carry, and the largest price (SalesDay.avg_price and Product.price
# hold 12 digits with 4 decimals). A day's sum of rows is 64-bit in the database.
MAX_UNITS = 1_000_000_000
MAX_PRICE = 99_999_999


def _to_number(u: pd.Series) -> pd.Series:
    cleaned = u.str.strip().str.replace(",", "", regex=False)
    value = pd.to_numeric(cleaned, errors="coerce").astype(float)
    return value.where(np.isfinite(value))


def numbers(raw: pd.Series, report: Report, source: str, column: str, required: bool = True,
            max_value: float | None = None) -> pd.Series:
    """Decimal numbers; a thousands separator ',' is accepted (1,234.5). Beyond ±max_value: reported."""
    value = per_unique(raw, _to_number).astype(float)
    empty = per_unique(raw, lambda u: u.str.strip().eq("")).astype(bool)
    if required:
        _report_bad(report, source, column, raw, empty, "required number is empty")
    _report_bad(report, source, column, raw, value.isna() & ~empty, "not a number")
    if max_value is not None:
        too_big = value.notna() & (value.abs() > max_value)
        _report_bad(report, source, column, raw, too_big, f"larger than {max_value:,} (the most this column may hold)")
        value = value.where(~too_big)
    return value


def prices(raw: pd.Series, report: Report, source: str, column: str, required: bool = True) -> pd.Series:
    return numbers(raw, report, source, column, required, max_value=MAX_PRICE)


def whole_numbers(raw: pd.Series, report: Report, source: str, column: str, required: bool = True,
                  max_value: int | None = None) -> pd.Series:
    max_value = MAX_UNITS if max_value is None else max_value
    value = numbers(raw, report, source, column, required)
    fractional = value.notna() & (value != np.floor(value.fillna(0)))
    _report_bad(report, source, column, raw, fractional, "not a whole number of units")
    too_big = value.notna() & (value.abs() > max_value)
    _report_bad(report, source, column, raw, too_big & ~fractional,
                f"more than {max_value:,} units in one row (the most a row may hold)")
    return value.where(~fractional & ~too_big)


def flags(raw: pd.Series, report: Report, source: str, column: str) -> pd.Series:
    """Yes/no columns: 1/0, true/false, yes/no, y/n, t/f; empty means no. Returns float 1/0 (NaN if bad)."""
    def convert(u: pd.Series) -> pd.Series:
        low = u.str.strip().str.lower()
        return pd.Series(np.where(low.isin(TRUE_WORDS), 1.0, np.where(low.isin(FALSE_WORDS), 0.0, np.nan)))

    out = per_unique(raw, convert).astype(float)
    _report_bad(report, source, column, raw, out.isna(), "not a yes/no value (use 1/0, true/false or yes/no)")
    return out


def optional_flags(raw: pd.Series, report: Report, source: str, column: str) -> pd.Series:
    """Like flags() but an empty cell stays unknown (NaN): for in_stock, where unknown is not 'no'."""
    out = flags(raw, report, source, column)
    return out.where(text(raw).ne(""))
