"""Django's PostgreSQL backend, reading timestamps with psycopg's C loader.

Django loads every `timestamptz` through a Python subclass of psycopg's
loader, to stamp each value with the connection's time zone. A Python
subclass gives up psycopg's C implementation: reading a timestamp then
costs several microseconds of CPU, which on an admin list page of 100
users (200 timestamps) was more than fetching all the rest of its rows.
Django sets the session's time zone to its own; when that is UTC with
USE_TZ (and no TIME_ZONE for the database, as here), psycopg's C loader already
returns exactly what Django's would, aware datetimes with
tzinfo=datetime.timezone.utc, so each cursor gets the C loader back.
With any other time zone, Django's loader stays.
"""

import datetime

from django.db.backends.postgresql import base
from psycopg import adapters, postgres
from psycopg.pq import Format

TIMESTAMPTZ_OID = postgres.types["timestamptz"].oid
# psycopg's own loader: its C version when psycopg's C extension is installed.
PSYCOPG_LOADER = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class DatabaseWrapper(base.DatabaseWrapper):
    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        # Django's own check: USE_TZ, and no TIME_ZONE of the database.
        if self.timezone is datetime.UTC:
            cursor.adapters.register_loader(TIMESTAMPTZ_OID, PSYCOPG_LOADER)
        return cursor
