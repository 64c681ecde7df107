"""Pages of the lists: their count read with the page's rows; users counted from UserTally.

Django's paginator asks for the count (one query), then for the page's rows
(another). CountingPaginator annotates the page's query with the list's
total and reads the count from the rows: one query per page.

COUNT(*) reads every row it counts, on every page. The account lists (the
API's /api/user/ and the admin site's change list) know their filters: when
only the role and the active flag narrow them, the count comes from the
tallies, a sum over a few rows that is exact in the same snapshot.
"""

import contextlib
from functools import partial

from django.core.paginator import Page, Paginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

from accounts.expressions import INTEGER, SQL
from accounts.models import TALLIED_VENDORS, UserTally
from project.postgresql.base import prepared

# The annotation that carries the list's total on each row of a page.
TOTAL = "page_total"
# SQL's OFFSET is a 64-bit integer: no page beyond this one can have rows.
_LAST_PAGE = 2**63 - 1


def count_users(queryset, filters):
    """Return how many users `queryset` holds, given the tallied filters that narrow it.

    `filters` holds the `role` and/or `is_active` values that alone narrow
    the queryset; None when anything else does (a search): then its rows
    are counted.
    """
    if filters is None or connections[queryset.db].vendor not in TALLIED_VENDORS:
        return queryset.count()
    return UserTally.objects.using(queryset.db).total(**filters)


class UserPaginator(Paginator):
    """Django's paginator over users, counting them as count_users() does."""

    def __init__(self, object_list, per_page, *args, filters=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.filters = filters

    @cached_property
    def count(self):
        return count_users(self.object_list, self.filters)


class CountingPaginator(Paginator):
    """Django's paginator, taking the count from the page's own rows.

    `total` is an SQL expression of the list's size; the page's query
    carries it on every row, so the page is fetched first and the count
    read from its first row. A page without rows (an empty list, a page
    past the end) and a `total` of None are counted as Django counts.
    """

    def __init__(self, object_list, per_page, *args, total=None, prepare=False, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.total = total
        self.prepare = prepare

    def page(self, number):
        if self.total is None or self.orphans or "count" in self.__dict__:
            return super().page(number)
        try:  # Django's validate_number() refuses the rest, with its own messages
            number = int(number) if not isinstance(number, float) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not 1 <= number <= _LAST_PAGE // self.per_page:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        page = self.object_list.annotate(**{TOTAL: self.total})[bottom : bottom + self.per_page]
        # Django writes OFFSET into the SQL: each deeper page would be a statement of its own.
        with prepared(page.db) if self.prepare and not bottom else contextlib.nullcontext():
            rows = list(page)
        if rows:
            first = rows[0]
            self.count = first[TOTAL] if isinstance(first, dict) else getattr(first, TOTAL)
        elif number == 1 and self.allow_empty_first_page:
            self.count = 0  # nothing at the start: an empty list
        else:
            return super().page(number)
        return _RowsPage(rows, number, self)


class _RowsPage(Page):
    """Django's Page over a list of rows, iterated as the list: Sequence's own iteration
    calls __getitem__() once per row."""

    def __iter__(self):
        return iter(self.object_list)


class ListPagination(PageNumberPagination):
    """Twenty items a page by default; clients may ask for up to a hundred.

    Counted with the page (CountingPaginator): COUNT(*) OVER () on its rows.
    The first page asked for with no parameter but its number and size is
    narrowed by its owner alone (the caller, an account of the URL), a query
    of fixed shape that each list's index serves whatever the owner: it is
    prepared (project.postgresql), so PostgreSQL does not parse and plan it again.
    """

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset, request, view=None):
        total = self.total(queryset, view)
        # One pagination instance serves one request: the attribute is its own.
        prepare = set(request.query_params) <= {self.page_query_param, self.page_size_query_param}
        self.django_paginator_class = partial(CountingPaginator, total=total, prepare=prepare)
        return super().paginate_queryset(queryset, request, view)

    def total(self, queryset, view):
        """The list's size as an SQL expression for its page's query; None: counted apart."""
        # Written as SQL: the ORM's Window(Count("*")) costs more CPU to build
        # and compile than the count query it spares (bench/profile_inprocess.py).
        return SQL("COUNT(*) OVER ()", [], output_field=INTEGER, as_read=True)


class UserPagination(ListPagination):
    """Pages of users, counted from the tallies where the filters allow.

    The view says which tallied filters narrow the list (its tally_filters()).
    A search is counted apart, as Django counts: over the matches, COUNT(*)
    can read an index alone, where a count beside the page's rows would read
    every match's row.
    """

    def total(self, queryset, view):
        filters = view.tally_filters() if view is not None else None
        if filters is None:
            return None
        if connections[queryset.db].vendor not in TALLIED_VENDORS:
            return super().total(queryset, view)
        return UserTally.objects.using(queryset.db).total_expression(**filters)
