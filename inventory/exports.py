"""CSV exports that are safe to open in a spreadsheet.

A cell starting with =, +, -, @, a tab or a carriage return is taken as a formula by Excel,
LibreOffice and Google Sheets (CSV injection): a product name like `=HYPERLINK(...)` imported
from a supplier feed would run when a planner opens the file. Such text cells get a leading
apostrophe, which spreadsheets show as plain text. Numbers are written as numbers. The check is
made on the NFKC form without leading spaces: some spreadsheets read a full-width ＝ or a space
before = as the start of a formula too.
"""
import csv
import unicodedata
from decimal import Decimal

from django.http import HttpResponse

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    seen = unicodedata.normalize("NFKC", text).lstrip(" \u3000")
    return "'" + text if seen.startswith(_FORMULA_STARTS) or text.startswith(_FORMULA_STARTS) else text


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    for row in rows:
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return response
