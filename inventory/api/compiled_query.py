"""A queryset compiled to SQL once per process and run with its LIMIT/OFFSET as parameters.

For the busiest read (the stock list), compiling the ORM query (three joins, two correlated
subqueries, a window count) cost the web process more CPU than PostgreSQL spent running it, on
every request, for SQL that never changes between requests. The ORM still writes the SQL, once;
each request only runs it. On PostgreSQL the statement is also PREPAREd once per database
connection, so PostgreSQL skips planning it too (a third of its time on a page of 50).

Only for PostgreSQL, whose driver returns the column types the API writes out (integers, text,
booleans, aware datetimes, floats); other databases go through the ORM and its converters.
Set DATABASE_PREPARED_STATEMENTS=0 behind a pooler in transaction mode (PgBouncer), where a
statement prepared on one server connection is not there on the next.
"""
from __future__ import annotations

import itertools
import re
from datetime import datetime

from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from psycopg.adapt import Loader

_PLACEHOLDER = re.compile(r"%[s%]")
_statement_numbers = itertools.count(1)


@receiver(connection_created)
def _forget_prepared_statements(sender, connection, **kwargs):
    """A new server session has none of the statements the previous one prepared."""
    connection.stockcast_prepared = set()


def supported(alias: str = "default") -> bool:
    return connections[alias].vendor == "postgresql"


class _IsoTimestamptzLoader(Loader):
    """timestamptz text (PostgreSQL's ISO DateStyle, "2026-11-29 20:41:20.12+00") through the
    standard library's C parser: Django's loader parses in Python, which cost a fifth of a
    stock page's CPU for its 50 timestamps. Anything else (infinity, another DateStyle) goes to
    the loader the connection would have used."""

    def load(self, data):
        try:
            return datetime.fromisoformat(bytes(data).decode())
        except ValueError:
            return self._fallback().load(data)

    def _fallback(self):
        fallback = self.__dict__.get("_fallback_loader")
        if fallback is None:
            connection_loader = self.connection.adapters.get_loader(self.oid, 0)
            fallback = self.__dict__["_fallback_loader"] = connection_loader(self.oid, self.connection)
        return fallback


class CompiledPageQuery:
    """``fetch(limit, offset)`` returns the rows of an ordered values() queryset as dicts."""

    def __init__(self, queryset):
        query = queryset.query
        if query.low_mark or query.high_mark is not None:
            raise ValueError("compile the queryset before slicing it: the page is a parameter")
        if not queryset.ordered:
            raise ValueError("an unordered queryset has no stable pages")
        self.alias = queryset.db
        sql, params = query.get_compiler(self.alias).as_sql()
        self.params = tuple(params)
        self.sql = f"{sql} LIMIT %s OFFSET %s"
        self.name = f"stockcast_page_{next(_statement_numbers)}"
        numbers = itertools.count(1)
        # the same statement with PostgreSQL's numbered parameters ($1, $2, ...) for PREPARE
        numbered = _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", self.sql)
        self.prepare_sql = f"PREPARE {self.name} AS {numbered}"
        self.execute_sql = f"EXECUTE {self.name} ({', '.join(['%s'] * (len(self.params) + 2))})"

    def fetch(self, limit: int, offset: int) -> list[dict]:
        connection = connections[self.alias]
        params = (*self.params, limit, offset)
        with connection.cursor() as cursor:
            cursor.cursor.adapters.register_loader("timestamptz", _IsoTimestamptzLoader)
            # a connection opened for one request (CONN_MAX_AGE = 0) would prepare and run once
            if getattr(settings, "DATABASE_PREPARED_STATEMENTS", True) and connection.settings_dict.get("CONN_MAX_AGE"):
                prepared = connection.__dict__.setdefault("stockcast_prepared", set())
                if self.name not in prepared:
                    cursor.execute(self.prepare_sql)
                    prepared.add(self.name)
                cursor.execute(self.execute_sql, params)
            else:
                cursor.execute(self.sql, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]


class CompiledRows:
    """What a Django Paginator needs from an object list (slicing, count, ordered), over a
    :class:`CompiledPageQuery`; ``count()`` (a page past the end) builds the ORM queryset with
    ``make_queryset`` and counts it."""

    ordered = True

    def __init__(self, compiled: CompiledPageQuery, make_queryset):
        self.compiled, self.make_queryset = compiled, make_queryset

    def __getitem__(self, item):
        if not isinstance(item, slice) or item.step not in (None, 1) or item.start is None or item.stop is None:
            raise TypeError("CompiledRows takes [start:stop] slices only")
        return self.compiled.fetch(max(0, item.stop - item.start), item.start)

    def count(self) -> int:
        return self.make_queryset().count()
