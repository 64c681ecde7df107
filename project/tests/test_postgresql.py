"""project.postgresql: Django's PostgreSQL backend, its timestamp loader and health checks."""

import copy
import datetime
import select
import zoneinfo

import pytest
from django.db import connection, connections

from project.postgresql.base import PSYCOPG_LOADER, TIMESTAMPTZ_OID, DatabaseWrapper

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_postgres")]
UTC = datetime.UTC
TIMESTAMPS = [
    datetime.datetime(2026, 12, 1, 20, 33, 2, 275052, tzinfo=UTC),
    datetime.datetime(2026, 12, 1, 20, 33, 2, tzinfo=UTC),
    datetime.datetime(2026, 3, 29, 1, 30, 0, 999999, tzinfo=UTC),
    datetime.datetime(1, 1, 1, tzinfo=UTC),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


def _read(cursor, timestamps=TIMESTAMPS):
    cursor.execute(
        "SELECT t FROM unnest(%s::timestamptz[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
        [timestamps],
    )
    return [row[0] for row in cursor.fetchall()]


def test_the_service_uses_this_backend():
    assert isinstance(connections["default"], DatabaseWrapper)


def test_cursors_read_timestamps_with_psycopgs_own_loader():
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, 0)

    assert loader is PSYCOPG_LOADER
    assert not loader.__module__.startswith("django")


def test_timestamps_read_are_what_djangos_loader_reads():
    with connection.cursor() as cursor:
        values = _read(cursor)

    assert values == TIMESTAMPS
    assert all(value.tzinfo is UTC for value in values)


def test_another_database_time_zone_keeps_djangos_loader():
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["TIME_ZONE"] = "Europe/Paris"
    paris = DatabaseWrapper(settings_dict, alias="paris")
    try:
        with paris.cursor() as cursor:
            loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, 0)
            values = _read(cursor, TIMESTAMPS[:-1])  # the last is year 10000 in Paris
    finally:
        paris.close()

    assert loader is not PSYCOPG_LOADER
    assert values == TIMESTAMPS[:-1]
    assert values[0].tzinfo == zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def own_connection():
    """A second, persistent connection with health checks, as a gunicorn worker has."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    assert settings_dict["CONN_HEALTH_CHECKS"]
    wrapper = DatabaseWrapper(settings_dict, alias="own")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def _backend_pid(wrapper):
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _new_request(wrapper):
    """What Django does to a reused connection at the start of a request."""
    wrapper.health_check_done = False
    wrapper.close_if_health_check_failed()


def test_a_live_connection_passes_its_health_check_without_a_query(own_connection, monkeypatch):
    pid = _backend_pid(own_connection)
    queried = []
    monkeypatch.setattr(DatabaseWrapper, "is_usable", lambda self: queried.append(1) or True)

    _new_request(own_connection)

    assert queried == []
    assert own_connection.health_check_done
    assert _backend_pid(own_connection) == pid


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(own_connection):
    pid = _backend_pid(own_connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The server's goodbye reaches the socket (a bounded wait for it, not a sleep).
    select.select([own_connection.connection.fileno()], [], [], 5)

    _new_request(own_connection)

    assert own_connection.connection is None  # closed: the next use reconnects
    assert _backend_pid(own_connection) != pid


def _prepared_statements():
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_the_authentications_query_is_prepared_and_no_other(user_client, admin_client_api):
    for _ in range(6):  # past psycopg's own threshold, had it one
        assert user_client.get("/user/profile").status_code == 200
        assert admin_client_api.get("/api/user/?role=ADMIN").status_code == 200

    [statement] = _prepared_statements()
    assert statement.startswith("/* prepare */ SELECT")
    assert "accounts_session" in statement


def test_a_lists_page_narrowed_by_its_owner_alone_is_prepared(user_client):
    assert user_client.get("/user/sessions").status_code == 200

    [statement] = [s for s in _prepared_statements() if "accounts_session" in s and "OVER" in s]
    assert statement.startswith("/* prepare */ SELECT")


def test_prepared_statements_can_be_turned_off(settings):
    from project.postgresql.base import PreparingCursor

    params = connection.get_connection_params()
    assert params["cursor_factory"] is PreparingCursor

    options = {**connection.settings_dict["OPTIONS"], "server_side_binding": False}
    wrapper = DatabaseWrapper({**connection.settings_dict, "OPTIONS": options})
    assert wrapper.get_connection_params()["cursor_factory"] is not PreparingCursor
