"""Load-balancer probes: /healthz touches nothing, /readyz checks each dependency.

The database-down case runs against a real stopped PostgreSQL in
test_outage.py; here the cache is a real Redis, or a port nobody listens on.
"""

import pytest
import redis
from django.test import override_settings

from accounts.tests.fixtures import require
from project.tests import live

REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_cache(location):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.fixture
def redis_url():
    require(live.port_open("127.0.0.1", 6379), "needs Redis at 127.0.0.1:6379")
    return REDIS_URL


def test_healthz_answers_ok_without_touching_the_database(
    api_client, db, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {}}


@pytest.mark.parametrize("path", ["/healthz/", "/readyz/"])
def test_probes_take_an_optional_trailing_slash(api_client, db, path):
    assert api_client.get(path).status_code == 200


def test_readyz_checks_the_database_only_with_a_local_cache(api_client, db):
    response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_readyz_checks_a_shared_cache(api_client, db, redis_url):
    with override_settings(CACHES=_redis_cache(redis_url)):
        response = api_client.get("/readyz")
        redis.Redis.from_url(redis_url).flushdb()

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "cache": "ok"}}


def test_readyz_answers_503_when_the_cache_is_down(api_client, db):
    unreachable = f"redis://127.0.0.1:{live.free_port()}/0"
    with override_settings(CACHES=_redis_cache(unreachable)):
        response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "cache": "unavailable"},
    }


def test_healthz_answers_ok_when_the_cache_is_down(api_client):
    unreachable = f"redis://127.0.0.1:{live.free_port()}/0"
    with override_settings(CACHES=_redis_cache(unreachable)):
        response = api_client.get("/healthz")

    assert response.status_code == 200


def test_probes_ignore_a_bad_token(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    assert api_client.get("/healthz").status_code == 200
    assert api_client.get("/readyz").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz/"])
def test_probes_answer_whatever_the_host_header(api_client, db, path):
    response = api_client.get(path, HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_other_routes_keep_the_host_check(api_client, db):
    response = api_client.get("/user/profile", HTTP_HOST="10.1.2.3:8000")

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}
