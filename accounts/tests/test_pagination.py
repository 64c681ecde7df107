"""Lists count with their page's rows; account lists from UserTally when only role and active
flag narrow them."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import events
from accounts.models import EventType, Role, User
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


# The query read_matches() sends: the list's ids, their number its count.
READS_MATCHES = "WITH matches AS MATERIALIZED ("


def _count_sql(client, url):
    """The answer's count and the SQL of the queries that counted (COUNT, reading the
    tallies, or reading the matches' ids)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    counting = [
        q["sql"]
        for q in captured.captured_queries
        if any(sign in q["sql"] for sign in ("COUNT(", "accounts_usertally", READS_MATCHES))
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
    # One query: the page's rows, each with the tallies' sum beside it; no COUNT(*).
    assert len(counting) == 1
    assert "accounts_usertally" in counting[0]
    assert "COUNT(" not in counting[0]


@pytest.mark.parametrize(("query", "expected"), API_COUNTED.values(), ids=API_COUNTED.keys())
def test_the_api_list_counts_a_search_by_reading_its_matches_ids(
    users, admin_client_api, query, expected
):
    response, counting = _count_sql(admin_client_api, f"/api/user/{query}")

    assert response.json()["count"] == expected().count() == 1
    assert [response.json()["results"][0]["username"]] == ["searched"]
    # One query counts: the ids; no COUNT(*), no tallies.
    assert len(counting) == 1
    assert counting[0].startswith(READS_MATCHES)
    assert "COUNT(" not in counting[0]


def test_a_search_above_the_bound_of_ids_is_counted_by_count(users, admin_client_api, monkeypatch):
    monkeypatch.setattr("accounts.pagination.MATCHES_BOUND", 2)
    response, counting = _count_sql(admin_client_api, "/api/user/?search=user&page_size=2")

    assert response.json()["count"] == User.objects.filter(username__icontains="user").count()
    assert response.json()["count"] > 2
    assert [sql.startswith(READS_MATCHES) for sql in counting] == [True, False]
    assert "COUNT(" in counting[1]


@pytest.mark.parametrize("bound", [2, 10_000], ids=["above the bound", "within it"])
@pytest.mark.parametrize(
    ("ordering", "order_by"),
    [("", ["id"]), ("&ordering=-username", ["-username", "-id"]), ("&ordering=email", ["email"])],
)
def test_a_searchs_pages_hold_its_matches_in_order_at_either_side_of_the_bound(
    admin_client_api, monkeypatch, bound, ordering, order_by
):
    monkeypatch.setattr("accounts.pagination.MATCHES_BOUND", bound)
    for name in ["kim", "max", "pat", "sam", "lee"]:
        UserFactory(username=f"needle-{name}", email=f"{name}@example.org")
    UserFactory(username="other", email="other@example.org")

    pages = [
        admin_client_api.get(f"/api/user/?search=needle{ordering}&page_size=2&page={page}").json()
        for page in (1, 2, 3)
    ]

    expected = User.objects.filter(username__startswith="needle").order_by(*order_by)
    assert [page["count"] for page in pages] == [5, 5, 5]
    listed = [user["username"] for page in pages for user in page["results"]]
    assert listed == [user.username for user in expected]


def test_a_search_without_matches_is_one_query_after_the_authentication(
    users, admin_client_api, django_assert_num_queries
):
    with django_assert_num_queries(2):
        response = admin_client_api.get("/api/user/?search=nobody-has-this")

    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_search_page_past_its_end_is_a_404(users, admin_client_api):
    response = admin_client_api.get("/api/user/?search=searched&page=2")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


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


def test_the_admin_change_list_reads_a_searchs_rows_by_their_ids(users, admin_user):
    searched = User.objects.get(username="searched")

    response = _browser(admin_user).get("/admin/accounts/user/?q=searched")

    rows = response.context["cl"].result_list
    assert [user.username for user in rows] == ["searched"]
    # As str() writes them: `IN (7)` (pk__in), or `= ANY([7]::bigint[])` on PostgreSQL.
    by_id = rf'"accounts_user"\."id" (IN \({searched.pk}\)|= ANY\(\[{searched.pk}\])'
    assert re.search(by_id, str(rows.query))


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


# --- CountingPaginator: the count read from the page's rows --------------------------------


@pytest.fixture
def events_of(user):
    def make(count):
        for _ in range(count):
            events.record(EventType.LOGIN, user=user)

    return make


def _events_page(client, query, num_queries):
    with num_queries:
        response = client.get(f"/user/events{query}")
    return response


@pytest.mark.parametrize(
    ("rows", "query", "count", "on_page"),
    [(5, "", 5, 5), (25, "", 25, 20), (25, "?page=2", 25, 5), (20, "?page_size=20", 20, 20)],
)
def test_a_page_with_rows_is_counted_in_its_own_query(
    user_client, events_of, django_assert_num_queries, rows, query, count, on_page
):
    events_of(rows)

    # Authentication (1), the page with the count beside each row (1).
    response = _events_page(user_client, query, django_assert_num_queries(2))

    assert response.status_code == 200
    assert response.json()["count"] == count
    assert len(response.json()["results"]) == on_page


def test_an_empty_list_is_counted_without_a_query_of_its_own(
    user_client, django_assert_num_queries
):
    response = _events_page(user_client, "", django_assert_num_queries(2))

    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_page_past_the_end_is_counted_apart_and_refused(
    user_client, events_of, django_assert_num_queries
):
    events_of(3)

    response = _events_page(user_client, "?page=2", django_assert_num_queries(3))

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page.", "code": "not_found"}


@pytest.mark.parametrize("page", ["0", "-1", "x", "1.5"])
def test_a_page_number_that_is_no_page_is_refused_as_django_refuses_it(
    user_client, events_of, page
):
    events_of(3)

    response = user_client.get(f"/user/events?page={page}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page.", "code": "not_found"}


# --- Prepared pages: narrowed by their owner alone --------------------------------------------


def _prepared_pages(client, url, table):
    """The prepared statements that read `table`'s pages once `url` is answered (PostgreSQL)."""
    assert client.get(url).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    return [s for s in statements if f'FROM "{table}"' in s and "page_total" in s]


@pytest.mark.usefixtures("on_postgres")
@pytest.mark.parametrize(
    ("url", "table"),
    [
        ("/user/events", "accounts_securityevent"),
        ("/user/events?page=1&page_size=5", "accounts_securityevent"),
        ("/user/sessions?page_size=100", "accounts_session"),
    ],
)
def test_a_page_asked_for_by_number_and_size_alone_is_prepared(user_client, events_of, url, table):
    events_of(3)

    [statement] = _prepared_pages(user_client, url, table)
    assert statement.startswith("/* prepare */ SELECT")


@pytest.mark.usefixtures("on_postgres")
def test_a_deeper_page_is_not_prepared(user_client, events_of):
    events_of(3)

    assert (
        _prepared_pages(user_client, "/user/events?page=2&page_size=2", "accounts_securityevent")
        == []
    )


@pytest.mark.usefixtures("on_postgres")
@pytest.mark.parametrize("query", ["?type=login", "?page=1&type=login"])
def test_a_page_narrowed_by_a_filter_is_not_prepared(user_client, events_of, query):
    events_of(3)

    assert _prepared_pages(user_client, f"/user/events{query}", "accounts_securityevent") == []


@pytest.mark.usefixtures("on_postgres")
@pytest.mark.parametrize(("query", "prepared"), [("", 1), ("?role=ADMIN", 0)])
def test_the_account_list_is_prepared_only_unfiltered(users, admin_client_api, query, prepared):
    assert len(_prepared_pages(admin_client_api, f"/api/user/{query}", "accounts_user")) == prepared
