"""The service answers 503 while its database or cache is gone, and recovers alone."""

import copy
import logging
import time

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.tests.fixtures import require
from project.tests import live

UNAVAILABLE = {
    "detail": "The service is temporarily unavailable; try again shortly.",
    "code": "service_unavailable",
}
PASSWORD = "Outage-Proof-Passw0rd"


@pytest.fixture(scope="module")
def cluster():
    """A private PostgreSQL cluster, migrated; the shared server is never stopped."""
    require(live.postgres_available(), f"needs PostgreSQL binaries in {live.PG_BIN}")
    cluster = live.PrivateCluster()
    try:
        cluster.init()
        cluster.start()
        live.manage(live.app_env(DATABASE_URL=cluster.url), "migrate", "--noinput")
        yield cluster
    finally:
        cluster.remove()


# Both connection strategies settings.py offers must survive an outage.
CONNECTION_MODES = {
    "persistent": {"DB_CONN_MAX_AGE": 60},
    "pool": {"DB_POOL": "true", "DB_POOL_TIMEOUT": 2},
}
RECOVERY_SECONDS = {"persistent": 0, "pool": 30}


@pytest.mark.parametrize("mode", CONNECTION_MODES)
def test_api_answers_503_while_database_is_down_and_recovers_without_restart(
    cluster, mode, tmp_path
):
    env = live.app_env(DATABASE_URL=cluster.url, **CONNECTION_MODES[mode])
    with live.gunicorn(env, workers=1, log_dir=tmp_path) as app:
        token = _registered_user_token(app, f"outage_{mode}")
        assert app.call("GET", "/user/profile", token=token).status == 200

        cluster.stop()
        try:
            profile = app.call("GET", "/user/profile", token=token)
            login = app.call("POST", "/user/login", {"username": "x", "password": PASSWORD})
            ready = app.call("GET", "/readyz")
            alive = app.call("GET", "/healthz")
            admin = app.call("GET", "/admin/", headers={"Cookie": "sessionid=" + "a" * 32})
        finally:
            cluster.start()

        assert (profile.status, profile.json()) == (503, UNAVAILABLE)
        assert profile.headers["Content-Type"] == "application/json"
        assert (login.status, login.json()) == (503, UNAVAILABLE)
        assert (ready.status, ready.json()) == (
            503,
            {"status": "unavailable", "checks": {"database": "unavailable"}},
        )
        assert alive.status == 200
        # The admin site is HTML, its outage page too; no traceback anywhere.
        assert admin.status == 503
        assert admin.headers["Content-Type"].startswith("text/html")
        assert "Traceback" not in profile.text + login.text + admin.text

        # Same processes, no restart: the next request succeeds. psycopg's pool
        # reconnects in the background, with backoff: it may take a few seconds.
        assert _status_within(app, token, seconds=RECOVERY_SECONDS[mode]) == 200
        assert app.call("GET", "/readyz").status == 200
    assert "Traceback" not in app.log.read_text()


def _status_within(app, token, seconds):
    """Return the first 200 of GET /user/profile within `seconds`, or the last status."""
    deadline = time.monotonic() + seconds
    while True:
        status = app.call("GET", "/user/profile", token=token).status
        if status == 200 or time.monotonic() >= deadline:
            return status
        time.sleep(0.5)


def _registered_user_token(app, username):
    body = {
        "username": username,
        "email": f"{username}@example.com",
        "password": PASSWORD,
        "first_name": "Out",
        "last_name": "Age",
    }
    assert app.call("POST", "/user/register", body).status == 201
    login = app.call("POST", "/user/login", {"username": username, "password": PASSWORD})
    assert login.status == 200, login.text
    return login.json()["access_token"]


class UnreachableDatabaseMiddleware:
    """Open a connection to a PostgreSQL port nobody listens on, before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        settings_dict = copy.deepcopy(connection.settings_dict)
        settings_dict.update(
            ENGINE="django.db.backends.postgresql",
            NAME="unreachable",
            HOST="127.0.0.1",
            PORT=live.free_port(),
            OPTIONS={"connect_timeout": 2},
        )
        DatabaseWrapper(settings_dict, alias="unreachable").ensure_connection()
        return self.get_response(request)


@pytest.fixture
def client_losing_database_in_a_middleware(db, settings):
    settings.MIDDLEWARE = [
        settings.MIDDLEWARE[0],
        "project.tests.test_outage.UnreachableDatabaseMiddleware",
        *settings.MIDDLEWARE[1:],
    ]
    return APIClient(raise_request_exception=False)


def test_database_lost_in_a_middleware_answers_503_json(client_losing_database_in_a_middleware):
    # Django turns an exception raised in a middleware into a 500 response
    # before RequestLogMiddleware sees it; that 500 must still become a 503.
    response = client_losing_database_in_a_middleware.get("/healthz")

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


def test_database_lost_in_a_middleware_logs_no_traceback(client_losing_database_in_a_middleware):
    """The 503 and one warning; not Django's "Internal Server Error" with a traceback."""
    logged = []
    handler = logging.Handler()
    handler.emit = logged.append
    # On the logger itself, so it sees what passes the logger's filters.
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        client_losing_database_in_a_middleware.get("/healthz")
    finally:
        logger.removeHandler(handler)

    assert logged == []


def test_api_answers_503_while_cache_is_down(api_client, db):
    unreachable = f"redis://127.0.0.1:{live.free_port()}/0"
    with override_settings(
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": unreachable,
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
    ):
        response = api_client.post("/user/login", {"username": "x", "password": PASSWORD})

    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
