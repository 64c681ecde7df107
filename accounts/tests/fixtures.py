"""Fixtures for real services: skip without them, fail under REQUIRE_SERVICES=1."""

import os
import shutil
from contextlib import contextmanager

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


def _smtp_server(settings, delay):
    from accounts.tests.smtp import LoopbackController, RecordingHandler, use_smtp

    handler = RecordingHandler(delay=delay)
    controller = LoopbackController(handler)
    controller.start()
    use_smtp(settings, controller.port)
    yield handler
    controller.stop()


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on loopback that Django's mail backend sends to."""
    yield from _smtp_server(settings, delay=0)


@pytest.fixture
def slow_smtp_server(settings):
    """A real SMTP server that takes 2 seconds to accept each message."""
    yield from _smtp_server(settings, delay=2)


@pytest.fixture
def smtp_server_down(settings):
    """Point Django's mail at a loopback port where nothing listens."""
    from accounts.tests.smtp import closed_port, use_smtp

    use_smtp(settings, closed_port())


@pytest.fixture
def run_mail_worker(monkeypatch):
    """Return a function that sends the due emails here and now, as the mail worker would.

    It runs django-tasks-db's own worker loop in this process and in the
    test's transaction, until no task is due (tasks waiting for a retry stay).
    """
    from django_tasks_db.management.commands import db_worker

    # Between tasks the worker closes stale connections: in a test, that
    # would be the connection holding the test's transaction.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run_mail_worker():
        db_worker.Worker(
            queue_names=["default"],
            excluded_queue_names=[],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="pytest",
        ).run()

    return run_mail_worker


# Debian's chromium, headless, kept off the network it cannot reach anyway.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def browser_page(chromium_path):
    """Yield a page that records every request and every console message."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            page.requested_urls = []
            page.console_messages = []
            page.on("request", lambda request: page.requested_urls.append(request.url))
            page.on("console", lambda message: page.console_messages.append(message.text))
            yield page
        finally:
            browser.close()


ADMIN_PASSWORD = "Live-Admin-Passw0rd"


@pytest.fixture(scope="module")
def gunicorn_app(tmp_path_factory):
    """gunicorn, with the production config, on a fresh database with one admin.

    The database is the suite's engine (see live.fresh_database); the admin
    is `live_admin` with ADMIN_PASSWORD. Throttles are raised: every test of
    the module shares the one process. Tests talk to it over HTTP only.
    """
    from project.tests import live

    directory = tmp_path_factory.mktemp("gunicorn")
    with live.fresh_database(directory) as url:
        env = live.app_env(
            DATABASE_URL=url,
            THROTTLE_LOGIN="1000/min",
            THROTTLE_LOGIN_USERNAME="1000/min",
            THROTTLE_REGISTER="1000/min",
        )
        admin = {
            "DJANGO_ADMIN_USERNAME": "live_admin",
            "DJANGO_ADMIN_EMAIL": "live_admin@example.com",
            "DJANGO_ADMIN_PASSWORD": ADMIN_PASSWORD,
        }
        live.manage(env, "migrate", "--noinput")
        live.manage({**env, **admin}, "createadmin", "--noinput")
        with live.gunicorn(env, log_dir=directory) as server:
            yield server


def use_public_base_url(settings, url):
    """Serve at `url`: PUBLIC_BASE_URL and the link templates settings.py derives from it."""
    settings.PUBLIC_BASE_URL = url
    settings.PASSWORD_RESET_URL = f"{url}/user/reset-password/{{token}}"
    settings.EMAIL_VERIFY_URL = f"{url}/user/verify-email/{{token}}"
