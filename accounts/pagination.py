"""Pages of the account lists, with exact counts from UserTally where the filters allow.

COUNT(*) reads every row it counts, on every page. The lists (the API's
/api/user/ and the admin site's change list) know their filters: when only
the role and the active flag narrow them, they ask for the count from the
tallies, a sum over a few rows that is exact in the same snapshot.
"""

from functools import partial

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property
from rest_framework.pagination import PageNumberPagination

from accounts.models import TALLIED_VENDORS, UserTally


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


class ListPagination(PageNumberPagination):
    """Twenty items a page by default; clients may ask for up to a hundred."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class UserPagination(ListPagination):
    """Pages of users, counted from the tallies where the filters allow.

    The view says which tallied filters narrow the list (its tally_filters()).
    """

    def paginate_queryset(self, queryset, request, view=None):
        filters = view.tally_filters() if view is not None else None
        # One pagination instance serves one request: the attribute is its own.
        self.django_paginator_class = partial(UserPaginator, filters=filters)
        return super().paginate_queryset(queryset, request, view)
