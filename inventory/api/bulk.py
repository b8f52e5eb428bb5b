"""POST /api/v1/sales/bulk/: push up to 10,000 daily sales rows as JSON or CSV.

The body goes through the same pipeline as `manage.py import_sales` and the staff upload
(inventory.ingest, format "generic"): every row validated, all or nothing, idempotent (the same
rows twice change nothing), and the same problem report, with row numbers. JSON rows are written
to a temporary CSV first, so that both body types are validated by exactly the same code.

Row numbers in errors: for CSV, the line of the body (header = line 1, first data row = line 2,
as an editor shows it); for JSON, `row` is the 0-based index in `rows` (and `line` the CSV line
it became, for symmetry).
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import UnsupportedMediaType, ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.ingest.api import import_files
from inventory.ingest.base import ImportOptions
from inventory.ingest.report import ImportRefused
from inventory.ingest.writer import CONFLICT_MODES
from inventory_site.api.base import StockcastAutoSchema, error_response
from inventory_site.api.errors import ApiError, PayloadTooLarge, Unprocessable
from inventory_site.api.throttles import BulkRateThrottle, WriteRateThrottle
from inventory_site.roles import PlannerWriteOrReadOnly

MAX_ROWS = 10_000
# 10,000 rows of a generous 400 bytes each: a body above this cannot be a valid request, and is
# refused from its Content-Length before it is read.
MAX_BYTES = MAX_ROWS * 400
COLUMNS = ["sku", "warehouse", "date", "units", "price", "on_promotion", "in_stock", "returned_units", "name",
           "category"]
REQUIRED = ["sku", "warehouse", "date", "units"]
JSON_TYPES = ("application/json",)
CSV_TYPES = ("text/csv", "application/csv", "text/plain")


class _RawBodyParser(BaseParser):
    """Declares the accepted media types (for content negotiation and the schema); the view reads
    the raw body itself, with a size limit, instead of letting a parser load it whole."""

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover - never called
        return stream


class JsonBody(_RawBodyParser):
    media_type = "application/json"


class CsvBody(_RawBodyParser):
    media_type = "text/csv"


class SalesRowSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    warehouse = serializers.CharField(max_length=32, help_text="Warehouse code.")
    date = serializers.DateField()
    units = serializers.IntegerField(min_value=0, max_value=1_000_000_000,
                                     help_text="Units sold that day (returns go in returned_units).")
    price = serializers.DecimalField(max_digits=12, decimal_places=4, min_value=0, max_value=99_999_999,
                                     required=False, allow_null=True,
                                     help_text="Unit price; revenue = units x price.")
    on_promotion = serializers.BooleanField(required=False)
    in_stock = serializers.BooleanField(required=False, allow_null=True)
    returned_units = serializers.IntegerField(min_value=0, max_value=1_000_000_000, required=False)
    name = serializers.CharField(required=False, max_length=300, help_text="Product name for a new SKU.")
    category = serializers.CharField(required=False, max_length=100, help_text="Category code for a new SKU.")


BulkRequest = inline_serializer("SalesBulkRequest", {
    "rows": SalesRowSerializer(many=True, help_text=f"At most {MAX_ROWS} rows."),
})
BulkResult = inline_serializer("SalesBulkResult", {
    "rows_received": serializers.IntegerField(),
    "dry_run": serializers.BooleanField(),
    "days_inserted": serializers.IntegerField(),
    "days_updated": serializers.IntegerField(),
    "days_unchanged": serializers.IntegerField(),
    "products_created": serializers.IntegerField(),
    "warehouses_created": serializers.IntegerField(),
    "categories_created": serializers.IntegerField(),
    "skipped": serializers.DictField(child=serializers.IntegerField()),
    "seconds": serializers.FloatField(),
})


def _too_large(rows: int | None = None, size: int | None = None) -> PayloadTooLarge:
    what = f"{rows} rows" if rows is not None else f"{size} bytes"
    return PayloadTooLarge(
        f"The body holds {what}; one request takes at most {MAX_ROWS} rows ({MAX_BYTES // 1_000_000} MB). "
        f"Split it into batches of up to {MAX_ROWS} rows (each CSV batch with its own header line) and send them "
        "one after another; every batch is all-or-nothing and idempotent, so a failed batch can be resent as is. "
        "For whole files, use the staff import page or `manage.py import_sales`.",
        code="too_many_rows" if rows is not None else "payload_too_large",
        fields={"max_rows": MAX_ROWS, "max_bytes": MAX_BYTES, **({"rows": rows} if rows is not None else {})},
    )


def _flag(request, name: str, default: bool) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise ValidationError({name: f"must be true or false, got {raw!r}."})


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise TypeError(type(value).__name__)


def _json_rows_to_csv(payload, handle) -> int:
    """Write the JSON rows as a CSV the pipeline reads; returns the row count. Structure errors -> 400."""
    rows = payload.get("rows") if isinstance(payload, dict) else payload
    if not isinstance(rows, list):
        raise ValidationError({"rows": "send {\"rows\": [{...}, ...]} (or a bare JSON list of row objects)."})
    if len(rows) > MAX_ROWS:
        raise _too_large(rows=len(rows))
    if not rows:
        raise ValidationError({"rows": "no rows: send at least one."})
    problems = {}
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            problems[f"rows[{index}]"] = "must be an object with sku, warehouse, date, units."
            continue
        unknown = sorted(set(row) - set(COLUMNS))
        if unknown:
            problems[f"rows[{index}]"] = f"unknown field(s) {unknown}; fields are {COLUMNS}."
            continue
        bad = [k for k, v in row.items() if isinstance(v, (dict, list))]
        if bad:
            problems[f"rows[{index}]"] = f"field(s) {bad} must be plain values, not objects or lists."
        if len(problems) >= 50:
            break
    if problems:
        raise ValidationError(problems)
    writer = csv.writer(handle)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in COLUMNS])
    return len(rows)


def _count_csv_rows(text: str) -> int:
    reader = csv.reader(io.StringIO(text))
    next(reader, None)  # header
    return sum(1 for _ in reader)


class SalesBulkView(APIView):
    permission_classes = [PlannerWriteOrReadOnly]
    throttle_classes = [WriteRateThrottle, BulkRateThrottle]
    parser_classes = [JsonBody, CsvBody]
    schema = StockcastAutoSchema()

    @extend_schema(
        summary=f"Push up to {MAX_ROWS} daily sales rows (JSON or CSV), all or nothing",
        description=(
            "Columns / fields: `sku`, `warehouse`, `date` (ISO), `units` (required); `price`, `on_promotion`, "
            "`in_stock`, `returned_units`, `name`, `category` (optional). Rows with the same sku, warehouse and "
            "date add up. Re-sending the same rows changes nothing (`days_unchanged`). A SKU not yet known is "
            "created (named by `name`, else its SKU); an unknown warehouse is an error unless "
            "`create_warehouses=true`. Any bad row refuses the whole body (422) with every problem listed by row."
        ),
        tags=["sales"],
        parameters=[
            OpenApiParameter("conflict", str, enum=list(CONFLICT_MODES), required=False,
                             description="A day already stored: `replace` its figures (default) or `skip` it."),
            OpenApiParameter("dry_run", bool, required=False, description="Validate and count, write nothing."),
            OpenApiParameter("create_warehouses", bool, required=False,
                             description="Create warehouses that do not exist yet (default false)."),
        ],
        request={"application/json": BulkRequest, "text/csv": OpenApiTypes.STR},
        responses={
            200: BulkResult,
            413: error_response(f"More than {MAX_ROWS} rows: split the body."),
            422: error_response("Rows failed validation; nothing was written. `fields.problems` lists each "
                                "bad row (`row`, `line`, `column`, `value`, `reason`)."),
        },
        examples=[
            OpenApiExample("JSON", request_only=True, media_type="application/json", value={"rows": [
                {"sku": "FOODS_1_001", "warehouse": "CA_1", "date": "2026-11-28", "units": 14, "price": "1.49"},
                {"sku": "FOODS_1_002", "warehouse": "CA_1", "date": "2026-11-28", "units": 3,
                 "on_promotion": True}]}),
            OpenApiExample("CSV", request_only=True, media_type="text/csv",
                           value="sku,warehouse,date,units,price\nFOODS_1_001,CA_1,2026-11-28,14,1.49\n"),
            OpenApiExample("Refused", response_only=True, status_codes=["422"], value={"error": {
                "code": "import_refused",
                "message": "1 bad row; nothing was written. Row 1 (line 3) [units] '-2': negative units",
                "fields": {"problem_count": 1, "problems": [
                    {"row": 1, "line": 3, "column": "units", "value": "-2", "reason": "negative units"}]}}}),
        ],
    )
    def post(self, request):
        media = (request.content_type or "").split(";")[0].strip().lower()
        if media not in JSON_TYPES + CSV_TYPES:
            raise UnsupportedMediaType(media or "(none)")
        conflict = request.query_params.get("conflict", "replace")
        if conflict not in CONFLICT_MODES:
            raise ValidationError({"conflict": f"must be one of {list(CONFLICT_MODES)}, got {conflict!r}."})
        dry_run = _flag(request, "dry_run", False)
        create_warehouses = _flag(request, "create_warehouses", False)
        body = self._read_body(request)
        is_json = media in JSON_TYPES

        fd, path = tempfile.mkstemp(prefix="sales-bulk-", suffix=".csv")
        try:
            with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
                if is_json:
                    rows = _json_rows_to_csv(self._json(body), handle)
                else:
                    text = self._text(body)
                    rows = _count_csv_rows(text)
                    if rows > MAX_ROWS:
                        raise _too_large(rows=rows)
                    if rows == 0:
                        raise ValidationError({"body": "no data rows after the header line."})
                    handle.write(text)
            options = ImportOptions(conflict=conflict, auto_create_warehouses=create_warehouses)
            try:
                summary = import_files("generic", [path], options=options, dry_run=dry_run)
            except ImportRefused as refused:
                raise self._refused(refused.report, is_json) from None
            except (ValueError, UnicodeDecodeError) as error:  # unreadable CSV, bad column set
                raise ValidationError({"body": str(error).replace(os.path.basename(path), "body")}) from None
        finally:
            os.unlink(path)
        result = {
            "rows_received": rows, "dry_run": summary.dry_run,
            "days_inserted": summary.days_inserted, "days_updated": summary.days_updated,
            "days_unchanged": summary.days_unchanged, "products_created": summary.products_created,
            "warehouses_created": summary.warehouses_created, "categories_created": summary.categories_created,
            "skipped": summary.skipped, "seconds": summary.seconds,
        }
        return Response(result, status=status.HTTP_200_OK)

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _read_body(request) -> bytes:
        raw = request._request  # the Django request: read its stream ourselves, with a limit
        try:
            declared = int(raw.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > MAX_BYTES:
            raise _too_large(size=declared)
        body = raw.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise _too_large(size=len(body))
        return body

    @staticmethod
    def _text(body: bytes) -> str:
        try:
            return body.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ValidationError({"body": f"not UTF-8 text (byte {error.start})."}) from None

    def _json(self, body: bytes):
        try:
            return json.loads(self._text(body))
        except json.JSONDecodeError as error:
            raise ValidationError({"body": f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})."}
                                  ) from None

    @staticmethod
    def _refused(report, is_json: bool) -> ApiError:
        problems = []
        for problem in report.problems:
            item = {"line": problem.line, "column": problem.column, "value": problem.value, "reason": problem.reason}
            if is_json:
                item = {"row": problem.line - 2 if problem.line >= 2 else None, **item}
            problems.append(item)
        first = problems[0] if problems else None
        where = ""
        if first:
            where = (f"row {first['row']} " if is_json and first.get("row") is not None else "") + f"line {first['line']}"
            where = f" First: {where} [{first['column']}] {first['value']!r}: {first['reason']}."
        count = report.problem_count
        return Unprocessable(
            f"{count} problem{'s' if count != 1 else ''} in the rows; nothing was written.{where}",
            code="import_refused",
            fields={"problem_count": count, "problems_listed": len(problems), "problems": problems},
        )
