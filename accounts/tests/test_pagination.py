"""The account lists count from UserTally when only role and active flag narrow them."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Role, User
from accounts.pagination import count_users
from accounts.tests.factories import AdminFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def users(admin_user):
    return [
        *UserFactory.create_batch(4),
        UserFactory(is_active=False),
        UserFactory(username="searched"),
        AdminFactory(),
        AdminFactory(is_active=False),
    ]


def _count_sql(client, url):
    """The answer's count and the SQL of the query that counted (COUNT, or reading the tallies)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    counting = [
        q["sql"]
        for q in captured.captured_queries
        if "COUNT(" in q["sql"] or "accounts_usertally" in q["sql"]
    ]
    return response, counting


# The API's list: (query, the queryset it lists).
API_TALLIED = {
    "all": ("", User.objects.all),
    "role": ("?role=ADMIN", lambda: User.objects.filter(role=Role.ADMIN)),
    "active": ("?active=false", lambda: User.objects.filter(is_active=False)),
    "both, ordered": (
        "?role=USER&active=true&ordering=-username",
        lambda: User.objects.filter(role=Role.USER, is_active=True),
    ),
    "empty search": ("?search=&role=USER", lambda: User.objects.filter(role=Role.USER)),
}
API_COUNTED = {
    "search": ("?search=searched", lambda: User.objects.filter(username="searched")),
    "search and role": (
        "?search=searched&role=USER",
        lambda: User.objects.filter(username="searched"),
    ),
}


@pytest.mark.parametrize(("query", "expected"), API_TALLIED.values(), ids=API_TALLIED.keys())
def test_the_api_list_counts_role_and_active_filters_from_the_tallies(
    users, admin_client_api, query, expected
):
    response, counting = _count_sql(admin_client_api, f"/api/user/{query}")

    assert response.json()["count"] == expected().count()
    assert len(counting) == 1
    assert "accounts_usertally" in counting[0]
    assert "accounts_user " not in counting[0].replace('"', "")


@pytest.mark.parametrize(("query", "expected"), API_COUNTED.values(), ids=API_COUNTED.keys())
def test_the_api_list_counts_rows_when_searched(users, admin_client_api, query, expected):
    response, counting = _count_sql(admin_client_api, f"/api/user/{query}")

    assert response.json()["count"] == expected().count() == 1
    assert "accounts_usertally" not in " ".join(counting)


ADMIN_TALLIED = {
    "all": ("", 9),
    "role": ("?role__exact=ADMIN", 3),
    "active": ("?is_active__exact=0", 2),
    "both, ordered, page 1": ("?role__exact=USER&is_active__exact=1&o=1&p=1", 5),
}
ADMIN_COUNTED = {
    "search": ("?q=searched", 1),
    "other filter": ("?is_superuser__exact=1", 0),
}


def _browser(admin_user):
    browser = Client()
    browser.force_login(admin_user)
    return browser


@pytest.mark.parametrize(("query", "count"), ADMIN_TALLIED.values(), ids=ADMIN_TALLIED.keys())
def test_the_admin_change_list_counts_role_and_active_filters_from_the_tallies(
    users, admin_user, query, count
):
    response, counting = _count_sql(_browser(admin_user), f"/admin/accounts/user/{query}")

    assert response.context["cl"].result_count == count
    assert response.context["cl"].full_result_count == 9
    assert counting and all("accounts_usertally" in sql for sql in counting)


@pytest.mark.parametrize(("query", "count"), ADMIN_COUNTED.values(), ids=ADMIN_COUNTED.keys())
def test_the_admin_change_list_counts_rows_otherwise(users, admin_user, query, count):
    response, counting = _count_sql(_browser(admin_user), f"/admin/accounts/user/{query}")

    assert response.context["cl"].result_count == count
    assert response.context["cl"].full_result_count == 9  # the total, from the tallies
    assert sum("accounts_usertally" not in sql for sql in counting) == 1


def test_the_admin_change_list_shows_a_searchs_count_beside_the_total(users, admin_user):
    response = _browser(admin_user).get("/admin/accounts/user/?q=searched")

    assert "1 result (<a" in response.content.decode()
    assert "9 total</a>" in response.content.decode()


def test_count_users_without_filters_counts_rows(users):
    with CaptureQueriesContext(connection) as captured:
        assert count_users(User.objects.filter(username="searched"), None) == 1

    assert "accounts_usertally" not in captured.captured_queries[0]["sql"]


def test_count_users_elsewhere_than_the_tallied_databases_counts_rows(users, monkeypatch):
    monkeypatch.setattr("accounts.pagination.TALLIED_VENDORS", ())
    with CaptureQueriesContext(connection) as captured:
        assert count_users(User.objects.filter(role=Role.ADMIN), {"role": Role.ADMIN}) == 3

    assert "accounts_usertally" not in captured.captured_queries[0]["sql"]
