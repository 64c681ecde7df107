"""Two app instances on one PostgreSQL and one Redis behave as one service.

The instances are real gunicorn processes with the production config. They
use a throwaway database of their own on the shared PostgreSQL server, so
this test runs (and is required in CI) whatever the suite's own database is.
"""

import os
import secrets
import urllib.parse

import psycopg
import pytest
import redis

from accounts.tests.fixtures import require
from project.tests import live

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "Two-Instances-Passw0rd"
ADMIN_PASSWORD = "Admin-Two-Instances-Passw0rd"


def _server_url():
    """Return the shared PostgreSQL server: the suite's own, or the local default."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return urllib.parse.urlsplit(url)


@pytest.fixture(scope="module")
def database_url():
    """Create a throwaway database on the shared server, migrated; drop it afterwards."""
    server = _server_url()
    require(live.port_open(server.hostname, server.port or 5432), "needs PostgreSQL")
    name = f"accounts_twoinst_{secrets.token_hex(4)}"
    admin_dsn = server._replace(path="/postgres").geturl()
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = server._replace(path=f"/{name}").geturl()
    try:
        env = live.app_env(
            DATABASE_URL=url,
            DJANGO_ADMIN_USERNAME="root_admin",
            DJANGO_ADMIN_EMAIL="root_admin@example.com",
            DJANGO_ADMIN_PASSWORD=ADMIN_PASSWORD,
        )
        live.manage(env, "migrate", "--noinput")
        live.manage(env, "createadmin", "--noinput")
        yield url
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def shared_redis():
    """Empty the test-only Redis database before and after."""
    parts = urllib.parse.urlsplit(REDIS_URL)
    require(live.port_open(parts.hostname, parts.port or 6379), f"needs Redis at {REDIS_URL}")
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


@pytest.fixture(scope="module")
def instances(database_url, shared_redis, tmp_path_factory):
    """Instances A and B: separate gunicorn processes, same database and cache."""
    env = live.app_env(
        DATABASE_URL=database_url,
        CACHE_URL=shared_redis,
        DB_CONN_MAX_AGE=60,
        # Only the per-username failure limit is under test here.
        THROTTLE_LOGIN="1000/min",
        THROTTLE_REGISTER="1000/min",
        # Above the per-username throttle (10/min), so that its test is not
        # cut short by a lock; the lockout test clears the throttle instead.
        LOGIN_LOCKOUT_THRESHOLD=12,
    )
    logs = tmp_path_factory.mktemp("instances")
    with live.gunicorn(env, log_dir=logs) as a, live.gunicorn(env, log_dir=logs) as b:
        yield a, b


def _register(app, username):
    return app.register(username, PASSWORD)


def _login(app, username, password=PASSWORD):
    return app.log_in(username, password)


def test_login_failures_on_both_instances_count_towards_one_limit(instances):
    a, b = instances
    username = f"throttled_{secrets.token_hex(3)}"
    _register(a, username)
    wrong = {"username": username, "password": "not-the-password"}

    statuses = [(a if i % 2 else b).call("POST", "/user/login", wrong).status for i in range(10)]
    on_a = a.call("POST", "/user/login", wrong)
    on_b = b.call("POST", "/user/login", {"username": username, "password": PASSWORD})

    assert statuses == [401] * 10
    assert on_a.status == 429
    assert "Retry-After" in on_a.headers
    assert on_b.status == 429


def test_a_lock_made_through_one_instance_holds_on_the_other(instances, shared_redis):
    a, b = instances
    username = f"locked_{secrets.token_hex(3)}"
    _register(a, username)
    wrong = {"username": username, "password": "not-the-password"}
    cache = redis.Redis.from_url(shared_redis)

    statuses = []
    for _ in range(12):
        statuses.append(a.call("POST", "/user/login", wrong).status)
        # Only the lock, kept in the database, is under test: the cache's
        # per-username throttle is emptied after every failure.
        cache.flushdb()
    on_b = b.call("POST", "/user/login", {"username": username, "password": PASSWORD})

    assert statuses == [401] * 12
    assert on_b.status == 429, on_b.text
    assert on_b.json()["code"] == "account_locked"
    assert int(on_b.headers["Retry-After"]) > 0


def test_logout_on_one_instance_is_honoured_by_the_other(instances):
    a, b = instances
    username = f"logout_{secrets.token_hex(3)}"
    _register(a, username)
    tokens = _login(a, username)
    assert b.call("GET", "/user/profile", token=tokens["access_token"]).status == 200

    logout = a.call("POST", "/user/logout", {"refresh_token": tokens["refresh_token"]})

    assert logout.status == 200
    assert b.call("GET", "/user/profile", token=tokens["access_token"]).status == 401
    refresh = b.call("POST", "/user/token/refresh", {"refresh_token": tokens["refresh_token"]})
    assert refresh.status == 401


def test_deactivation_on_one_instance_is_honoured_by_the_other(instances):
    a, b = instances
    username = f"deactivated_{secrets.token_hex(3)}"
    user_id = _register(a, username)
    tokens = _login(a, username)
    admin_token = _login(a, "root_admin", ADMIN_PASSWORD)["access_token"]
    assert b.call("GET", "/user/profile", token=tokens["access_token"]).status == 200

    update = a.call("PATCH", f"/api/user/{user_id}", {"active": False}, token=admin_token)

    assert update.status == 200, update.text
    assert b.call("GET", "/user/profile", token=tokens["access_token"]).status == 401
    login = b.call("POST", "/user/login", {"username": username, "password": PASSWORD})
    assert login.status == 401


def test_a_session_ended_on_one_instance_is_refused_by_the_other(instances):
    a, b = instances
    username = f"sessions_{secrets.token_hex(3)}"
    _register(a, username)
    ended, kept = _login(a, username), _login(b, username)
    sessions = b.call("GET", "/user/sessions", token=kept["access_token"]).json()["results"]
    target = next(s["id"] for s in sessions if not s["current"])

    assert a.call("DELETE", f"/user/sessions/{target}", token=kept["access_token"]).status == 200

    assert b.call("GET", "/user/profile", token=ended["access_token"]).status == 401
    refresh = b.call("POST", "/user/token/refresh", {"refresh_token": ended["refresh_token"]})
    assert refresh.status == 401
    assert b.call("GET", "/user/profile", token=kept["access_token"]).status == 200


def test_a_refresh_token_spent_on_one_instance_and_reused_on_the_other_ends_the_session(
    instances,
):
    a, b = instances
    username = f"reuse_{secrets.token_hex(3)}"
    _register(a, username)
    first = _login(a, username)
    second = a.call("POST", "/user/token/refresh", {"refresh_token": first["refresh_token"]})
    assert second.status == 200

    reuse = b.call("POST", "/user/token/refresh", {"refresh_token": first["refresh_token"]})

    assert reuse.status == 401
    assert a.call("GET", "/user/profile", token=second.json()["access_token"]).status == 401
