"""The stock list's fast parts give what the standard parts give: JSON bytes, timestamps."""
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer

from inventory.api.fast_json import FastJSONRenderer


@pytest.mark.parametrize("data", [
    {"count": 2, "next": None, "results": [{"sku": "FOODS_1_001", "name": "Qu\u00efnce \"x\" \\ y", "on_hand": -3,
                                            "reorder_point": 12.5, "tiny": 1e-05, "ok": True}]},
    [{"line": "a\u2028b\u2029c", "emoji": "\U0001f4e6"}],
    {"empty": [], "nested": {"a": [1, 2.0, None]}},
])
def test_fast_json_is_the_same_json_as_drf(data):
    fast = FastJSONRenderer().render(data)
    standard = JSONRenderer().render(data)
    assert json.loads(fast) == json.loads(standard)
    assert b"\xe2\x80\xa8" not in fast and b"\\u2028" in fast or "\u2028" not in json.dumps(data)


def test_fast_json_falls_back_to_drf_for_what_orjson_cannot_write():
    data = {"price": Decimal("1.10"), "message": gettext_lazy("Not found.")}
    assert FastJSONRenderer().render(data) == JSONRenderer().render(data)
    indented = FastJSONRenderer().render({"a": 1}, "application/json; indent=2")
    assert indented == JSONRenderer().render({"a": 1}, "application/json; indent=2")


@pytest.mark.postgres
@pytest.mark.django_db
def test_iso_timestamptz_loader_reads_the_same_instants_as_the_connection_loader():
    """Django keeps its sessions in UTC and its loader relies on that; the ISO loader reads the
    offset PostgreSQL writes, so it gives the same instants in UTC and in any other session zone."""
    from inventory.api.compiled_query import _IsoTimestamptzLoader

    query = ("SELECT v FROM (VALUES ('2026-11-29 20:41:20+00'::timestamptz), ('2026-11-29 20:41:20.12+00'),"
             " ('2016-02-29 23:59:59.999999+00'), ('2011-01-29 00:00:00.000001-05')) AS t(v)")
    with connection.cursor() as cursor:
        cursor.execute(query)
        expected = [row[0] for row in cursor.fetchall()]
        cursor.cursor.adapters.register_loader("timestamptz", _IsoTimestamptzLoader)
        cursor.execute(query)
        in_utc = [row[0] for row in cursor.fetchall()]
        cursor.execute("SET TIME ZONE 'Asia/Kolkata'")
        try:
            cursor.execute(query)
            in_kolkata = [row[0] for row in cursor.fetchall()]
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")
    assert in_utc == expected and [v.isoformat() for v in in_utc] == [v.isoformat() for v in expected]
    assert in_kolkata == expected  # aware datetimes compare as instants
    assert [value.microsecond for value in in_utc] == [0, 120000, 999999, 1]


@pytest.mark.postgres
@pytest.mark.django_db
def test_iso_timestamptz_loader_hands_what_it_cannot_parse_to_the_connection_loader():
    """'infinity' is no ISO date: the ISO loader passes it to the connection's loader, which
    refuses it with the same error as without the ISO loader."""
    from django.db import DataError

    from inventory.api.compiled_query import _IsoTimestamptzLoader

    errors = []
    for fast in (False, True):
        with connection.cursor() as cursor:
            if fast:
                cursor.cursor.adapters.register_loader("timestamptz", _IsoTimestamptzLoader)
            cursor.execute("SELECT 'infinity'::timestamptz")
            with pytest.raises(DataError) as raised:
                cursor.fetchall()
            errors.append(str(raised.value))
    assert errors[0] == errors[1] and "infinity" in errors[0]
