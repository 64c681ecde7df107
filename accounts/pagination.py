"""Pages of the lists: their count read with the page's rows; users counted from UserTally.

Django's paginator asks for the count (one query), then for the page's rows
(another). CountingPaginator annotates the page's query with the list's
total and reads the count from the rows: one query per page.

COUNT(*) reads every row it counts, on every page. The account lists (the
API's /api/user/ and the admin site's change list) know their filters: when
only the role and the active flag narrow them, the count comes from the
tallies, a sum over a few rows that is exact in the same snapshot. A search
is read by its matches' ids (read_matches()).
"""

import contextlib
from functools import partial

from django.core.paginator import Page, Paginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

from accounts.expressions import BOOLEAN, INTEGER, SQL
from accounts.models import TALLIED_VENDORS, UserTally
from project.postgresql.base import prepared

# The annotation that carries the list's total on each row of a page.
TOTAL = "page_total"
# SQL's OFFSET is a 64-bit integer: no page beyond this one can have rows.
_LAST_PAGE = 2**63 - 1
# A list narrowed by more than the tallied filters, with at most this many
# rows, is paged by their ids (read_matches()).
MATCHES_BOUND = 10_000


def read_matches(queryset):
    """The rows of `queryset` as (how many, a queryset of them by id); None above MATCHES_BOUND.

    A search's page is `WHERE <it matches> ORDER BY <column> LIMIT n`.
    PostgreSQL guesses LIKE's selectivity; when it guesses many matches, it
    walks the ordering's index testing every row, the whole table when the
    matches are few: 5.6 s a request at 1M users (bench/RESULTS.md). So the
    ids come first, from a materialized CTE: planned as a count is, since no
    LIMIT reaches it, and run only as far as the LIMIT asks. Their number is
    the count; the page is read by id, in a plan that knows how many they are.
    Above the bound the matches are dense enough for the walk to be short: the
    caller counts as Django does.
    """
    sql, params = queryset.order_by().values_list("pk", flat=True).query.sql_with_params()
    connection = connections[queryset.db]
    with connection.cursor() as cursor:
        cursor.execute(
            # The ORM's own SQL, its values as parameters.
            f"WITH matches AS MATERIALIZED ({sql}) SELECT * FROM matches LIMIT %s",  # noqa: S608
            [*params, MATCHES_BOUND + 1],
        )
        ids = [id for (id,) in cursor.fetchall()]
    if len(ids) > MATCHES_BOUND:
        return None
    if connection.vendor != "postgresql":
        return len(ids), queryset.filter(pk__in=ids)
    # One array parameter, where pk__in would build and send one per id.
    meta = queryset.model._meta
    pk = f"{connection.ops.quote_name(meta.db_table)}.{connection.ops.quote_name(meta.pk.column)}"
    array = f"{meta.pk.db_type(connection)}[]"
    return len(ids), queryset.filter(SQL(f"{pk} = ANY(%s::{array})", [ids], output_field=BOOLEAN))


class MatchesPaginator(Paginator):
    """Django's paginator, over the rows' ids when read_matches() reads them."""

    @cached_property
    def count(self):
        matches = read_matches(self.object_list)
        if matches is None:
            return super().count
        # Read before any page is: each page is then a slice of the rows by id.
        count, self.object_list = matches
        return count


def count_users(queryset, filters):
    """Return how many users `queryset` holds, given the tallied filters that narrow it.

    `filters` holds the `role` and/or `is_active` values that alone narrow
    the queryset; None when anything else does (a search): then its rows
    are counted.
    """
    if filters is None or connections[queryset.db].vendor not in TALLIED_VENDORS:
        return queryset.count()
    return UserTally.objects.using(queryset.db).total(**filters)


class UserPaginator(MatchesPaginator):
    """The admin site's paginator over users: counted from the tallies where `filters`
    allow (count_users()), else over their ids as MatchesPaginator reads them."""

    def __init__(self, object_list, per_page, *args, filters=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.filters = filters

    @cached_property
    def count(self):
        if self.filters is None:
            return super().count
        return count_users(self.object_list, self.filters)


class CountingPaginator(Paginator):
    """Django's paginator, taking the count from the page's own rows.

    `total` is an SQL expression of the list's size; the page's query
    carries it on every row, so the page is fetched first and the count
    read from its first row. A page without rows (an empty list, a page
    past the end) is counted as Django counts.
    """

    def __init__(self, object_list, per_page, *args, total, prepare=False, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.total = total
        self.prepare = prepare

    def page(self, number):
        if self.orphans or "count" in self.__dict__:
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

    Counted with the page (CountingPaginator): COUNT(*) OVER () on its rows;
    a list whose total() is None, over its rows' ids (MatchesPaginator).
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
        if total is None:
            self.django_paginator_class = MatchesPaginator
        else:
            prepare = set(request.query_params) <= {
                self.page_query_param,
                self.page_size_query_param,
            }
            self.django_paginator_class = partial(CountingPaginator, total=total, prepare=prepare)
        return super().paginate_queryset(queryset, request, view)

    def total(self, queryset, view):
        """The list's size as an SQL expression for its page's query; None: read apart."""
        # Written as SQL: the ORM's Window(Count("*")) costs more CPU to build
        # and compile than the count query it spares (bench/profile_inprocess.py).
        return SQL("COUNT(*) OVER ()", [], output_field=INTEGER, as_read=True)


class UserPagination(ListPagination):
    """Pages of users, counted from the tallies where the filters allow.

    The view says which tallied filters narrow the list (its tally_filters()).
    A search is read apart, its matches' ids first (read_matches()): a count
    beside the page's rows would read every match's row, and its plan is the
    page's, which the planner may get wrong.
    """

    def total(self, queryset, view):
        filters = view.tally_filters() if view is not None else None
        if filters is None:
            return None
        if connections[queryset.db].vendor not in TALLIED_VENDORS:
            return super().total(queryset, view)
        return UserTally.objects.using(queryset.db).total_expression(**filters)
