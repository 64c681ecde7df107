"""The lists of one account's rows for admins (its sessions, its events): the account is read
only where they need it.

Looking the account up is a query of its own, costing about what the page's
does, and a page with rows needs none: each row's foreign key proves the
account exists. So the policy is asked about an account that is read when
first used (the rule to view an account reads nothing of it), the page is
narrowed by the id, and the account is read (404 when there is none) only
when the page has no rows or is refused.
"""

from django.db import connections, router
from django.shortcuts import get_object_or_404
from django.utils.functional import SimpleLazyObject
from rest_framework.exceptions import NotFound

from accounts import policies
from accounts.models import User
from accounts.permissions import IsAdminRole


class AccountRowsMixin:
    """A list view of the rows of the account in the URL (`id`): admins only, where
    policies.can_view_user() allows; the account is read only where needed (above)."""

    permission_classes = [IsAdminRole]

    def account_id(self):
        return int(self.kwargs["id"])  # digits: the URL's pattern

    def check_permissions(self, request):
        super().check_permissions(request)
        if not policies.can_view_user(request.user, lazy_account(self.account_id())):
            self.permission_denied(request)

    def paginate_queryset(self, queryset):
        paginate = super().paginate_queryset
        return account_page(lambda: paginate(queryset), self.account_id())


def lazy_account(account_id):
    """The account `account_id`, read (404 when there is none) when first used."""
    return SimpleLazyObject(lambda: get_object_or_404(User, pk=account_id))


def account_page(paginate, account_id):
    """Return paginate()'s page of the account's rows; 404 without rows if there is no account."""
    if not _fits(account_id):
        _require(account_id)  # Django's own lookup knows the range: no such account (404)
    try:
        page = paginate()
    except NotFound:
        _require(account_id)  # no account: its own 404, before that of a refused page
        raise
    if not page:
        _require(account_id)
    return page


def _fits(account_id):
    """Whether the id fits the primary key's column, as a foreign key's lookup needs."""
    ops = connections[router.db_for_read(User)].ops
    low, high = ops.integer_field_range(User._meta.pk.get_internal_type())
    return (low is None or low <= account_id) and (high is None or account_id <= high)


def _require(account_id):
    get_object_or_404(User.objects.only("pk"), pk=account_id)
