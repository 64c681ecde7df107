"""project.postgresql: Django's PostgreSQL backend with psycopg's C timestamp loader."""

import copy
import datetime
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
