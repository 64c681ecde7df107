"""Fixtures for real services: skip without them, fail under REQUIRE_SERVICES=1."""

import os
import shutil

import pytest


def require(available, reason):
    """Skip the test when a real service is missing, or fail when CI demands it."""
    if available:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1)")
    pytest.skip(reason)


@pytest.fixture
def chromium_path():
    path = shutil.which("chromium") or "/usr/bin/chromium"
    require(os.path.exists(path), "Debian's chromium is not installed")
    return path


@pytest.fixture
def on_postgres(settings):
    """Run only when the test database is PostgreSQL.

    A plain skip, never a failure: CI runs the whole suite a second time on
    PostgreSQL (.ci/run), where these tests run and must pass.
    """
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("PostgreSQL-only; runs in the DATABASE_URL=postgres://... pass")
