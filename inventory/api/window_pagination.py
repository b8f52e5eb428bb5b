"""Pagination for the hottest list endpoint (stock levels), with DRF's behaviour and one query less.

``WindowCountPagination`` gets the page and the total in one query (``COUNT(*) OVER ()`` is
evaluated before LIMIT) instead of a separate COUNT query per page. A page past the end has no
row to carry the total, so it falls back to COUNT and answers 404 as before.
"""
from __future__ import annotations

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count, Window
from django.utils.translation import gettext as _

from inventory_site.api.base import StandardPagination

TOTAL_COLUMN = "_total_rows"
# A page number beyond this is past the end of any list (and its OFFSET would overflow 64 bits).
MAX_PAGE_NUMBER = 10**12


def with_window_total(queryset):
    """Annotate every row with the number of rows of the whole (filtered) query."""
    return queryset.annotate(**{TOTAL_COLUMN: Window(Count("pk"))})


class WindowCountPaginator(Paginator):
    """A Paginator over a queryset annotated by :func:`with_window_total` (values() rows)."""

    def page(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer"))
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        if number > MAX_PAGE_NUMBER:
            raise EmptyPage(_("That page contains no results"))
        if "count" not in self.__dict__:
            bottom = (number - 1) * self.per_page
            rows = list(self.object_list[bottom:bottom + self.per_page])
            if rows:
                self.__dict__["count"] = rows[0][TOTAL_COLUMN]  # Paginator.count is a cached_property
                number = self.validate_number(number)
                return self._get_page(rows, number, self)
        return super().page(number)  # past the end (or asked for "last"): COUNT, then the usual checks


class WindowCountPagination(StandardPagination):
    django_paginator_class = WindowCountPaginator

