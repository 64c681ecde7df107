"""Django's PostgreSQL backend: timestamps read by psycopg's C loader, health checks
without a round trip, prepared statements where a query asks for one.

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

CONN_HEALTH_CHECKS makes Django send `SELECT 1` on a reused connection at
the start of every request, so that a connection the server closed (a
restart, a failover) is replaced before it fails the request: one more
round trip and one more query per request for PostgreSQL to parse and run.
A server that closes a connection says so on its socket (a final error
message, then end of file), which then polls readable; an idle connection
that is alive has nothing to read. So the check polls the socket first,
with no wait, and only when something is there does Django's `SELECT 1`
decide whether to reconnect. psycopg's pool keeps its own checks.

With server-side binding (settings: DB_PREPARED_STATEMENTS), a query whose
text begins with PREPARE is prepared on its connection: PostgreSQL parses
and plans it once and reuses the plan. That is for a query of fixed shape
run on every request: the authentication's lookup by primary keys, and a
list's first page where nothing but its owner narrows it (prepared(), see
accounts.pagination). Other queries are never prepared (Django's default),
since a generic plan does not see the values it runs with: a list filtered
by a rare role would walk the whole primary key index instead of reading
the role's index.
"""

import datetime
import select
import sys

from django.db import connections
from django.db.backends.postgresql import base
from django.db.backends.postgresql.base import Database, ServerBindingCursor
from psycopg import adapters, postgres
from psycopg.pq import Format

TIMESTAMPTZ_OID = postgres.types["timestamptz"].oid
# psycopg's own loader: its C version when psycopg's C extension is installed.
PSYCOPG_LOADER = adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
# The comment that asks for a query to be prepared (see above).
PREPARE = "/* prepare */ "


def prepared(alias):
    """A context in which the queries on the database `alias` are prepared (see above).

    On a connection without server-side binding, or another database, the
    comment it adds changes nothing.
    """
    return connections[alias].execute_wrapper(_prepare)


def _prepare(execute, sql, params, many, context):
    return execute(PREPARE + sql, params, many, context)


class PreparingCursor(ServerBindingCursor):
    """Django's server-side binding cursor, preparing the queries that ask for it."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        if prepare is None and isinstance(query, str) and query.startswith(PREPARE):
            prepare = True
        return super().execute(query, params, prepare=prepare, binary=binary)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if params.get("cursor_factory") is ServerBindingCursor:
            params["cursor_factory"] = PreparingCursor
            # psycopg prepares nothing while this is None (Django's default),
            # prepare=True included; as high as this, it prepares only those.
            if params.get("prepare_threshold") is None:
                params["prepare_threshold"] = sys.maxsize
        return params

    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        # Django's own check: USE_TZ, and no TIME_ZONE of the database.
        if self.timezone is datetime.UTC:
            cursor.adapters.register_loader(TIMESTAMPTZ_OID, PSYCOPG_LOADER)
        return cursor

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and not self._server_spoke()
        ):
            self.health_check_done = True  # an idle live connection: no query needed
            return
        super().close_if_health_check_failed()

    def _server_spoke(self):
        """Whether the server sent anything to this idle connection (or it is gone)."""
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError, Database.Error):
            return True
        return bool(readable)
