"""Fixtures shared by every test package: clients, users and fast settings."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import AdminFactory, SuperuserFactory, UserFactory, token_pair

# Fixtures that need a real service (PostgreSQL, chromium) skip without it,
# unless REQUIRE_SERVICES=1 (set by .ci/run) turns the skip into a failure.
pytest_plugins = ["accounts.tests.fixtures"]


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    """Hash with MD5 in tests; accounts/tests/test_hashers.py checks the real argon2 settings."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache():
    """Start every test with empty throttle counters."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def admin_user(db):
    return AdminFactory()


@pytest.fixture
def superuser(db):
    return SuperuserFactory()


def _client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair(user)['access_token']}")
    return client


@pytest.fixture
def client_for():
    """Return an API client holding a fresh access token for the given user."""
    return _client_for


@pytest.fixture
def user_client(user):
    return _client_for(user)


@pytest.fixture
def admin_client_api(admin_user):
    return _client_for(admin_user)


@pytest.fixture
def superuser_client_api(superuser):
    return _client_for(superuser)
