"""Filtering the lists: django-filter's backend, skipped when no filter is asked for."""

from django_filters import rest_framework as filters


class FilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend, left out when the request names none of the filters.

    Building and validating the filter set's form costs more than the rest
    of a list's filtering, for a request that asks for no filter at all
    (the default list, every page of it), where it changes nothing.
    """

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not asks_for_filters(request, filterset_class):
            return queryset
        return super().filter_queryset(request, queryset, view)


def asks_for_filters(request, filterset_class):
    """Whether the query string names any filter of `filterset_class` (each takes one)."""
    return not request.query_params.keys().isdisjoint(filterset_class.base_filters)
