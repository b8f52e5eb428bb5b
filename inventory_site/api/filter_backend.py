"""The API's filter backend: django-filter, skipped when the request filters nothing.

django-filter builds and validates a form on every request, even one that filters nothing; with
only paging or ordering parameters there is nothing for it to do. Any other parameter (a filter,
or one django-filter would ignore) goes through django-filter unchanged. Kept apart from the
other API modules: settings name it, so it must import nothing of the project's.
"""
from django_filters.rest_framework import DjangoFilterBackend

NON_FILTER_PARAMS = frozenset({"page", "page_size", "ordering", "format"})


def filters_nothing(request) -> bool:
    """True when the request has only paging, ordering or format parameters."""
    return NON_FILTER_PARAMS.issuperset(request.query_params.keys())


class QueryParamFilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        if filters_nothing(request):
            return queryset
        return super().filter_queryset(request, queryset, view)
