"""The API docs in a real browser (Debian's chromium via Playwright), offline.

Playwright's sync API runs an event loop in this thread, where Django
refuses ORM calls: each test creates its users before the browser opens
and talks to the live server over HTTP afterwards.
"""

import json
import urllib.request
from urllib.parse import urlsplit

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.fixtures import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


def _login(base_url, username):
    request = urllib.request.Request(  # noqa: S310 - a loopback http URL we built
        f"{base_url}/user/login",
        data=json.dumps({"username": username, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return json.loads(response.read())["access_token"]


def _foreign_hosts(urls):
    hosts = {urlsplit(url).hostname for url in urls if urlsplit(url).scheme in ("http", "https")}
    return hosts - LOOPBACK


def _csp_violations(messages):
    return [text for text in messages if "Content Security Policy" in text]


def test_swagger_ui_authorizes_with_a_login_token_and_tries_the_profile(live_server, chromium_path):
    user = UserFactory(username="swagger-alice")
    with browser_page(chromium_path) as page:
        token = _login(live_server.url, user.username)
        page.goto(f"{live_server.url}/swagger-ui")
        page.wait_for_selector("#operations-Profile-user_profile_retrieve")

        page.click("button.authorize")
        # What a newcomer does: paste into the field that has the focus.
        page.keyboard.insert_text(token)
        page.locator(".auth-container button.authorize").click()
        page.click("button.btn-done")

        operation = page.locator("#operations-Profile-user_profile_retrieve")
        operation.locator(".opblock-summary").click()
        operation.locator("button.try-out__btn").click()
        operation.locator("button.execute").click()
        result = operation.locator(".live-responses-table .response")
        result.wait_for()

        assert result.locator(".response-col_status").inner_text().strip() == "200"
        body = json.loads(result.locator(".response-col_description pre").first.inner_text())
        assert body["username"] == "swagger-alice"
        assert not _foreign_hosts(page.requested_urls)
        assert not _csp_violations(page.console_messages)


def test_redoc_loads_everything_from_this_server(live_server, chromium_path):
    with browser_page(chromium_path) as page:
        page.goto(f"{live_server.url}/redoc")
        page.wait_for_selector("text=User account service")
        page.wait_for_load_state("networkidle")

        assert page.get_by_text("/user/register").count() > 0
        assert any(url.endswith("/api/schema") for url in page.requested_urls)
        assert not _foreign_hosts(page.requested_urls)
        assert not _csp_violations(page.console_messages)


def test_swagger_ui_loads_everything_from_this_server(live_server, chromium_path):
    with browser_page(chromium_path) as page:
        page.goto(f"{live_server.url}/swagger-ui")
        page.wait_for_selector("#operations-Authentication-user_register_create")
        page.wait_for_load_state("networkidle")

        assert not _foreign_hosts(page.requested_urls)
        assert not _csp_violations(page.console_messages)


@pytest.mark.parametrize("path", ["/admin/login/", "/api-auth/login/", "/healthz"])
def test_other_html_pages_run_under_the_csp(live_server, chromium_path, path):
    with browser_page(chromium_path) as page:
        response = page.goto(f"{live_server.url}{path}")  # /healthz: the browsable API
        page.wait_for_load_state("networkidle")

        assert response.status == 200
        assert response.headers["content-type"].startswith("text/html")
        assert not _foreign_hosts(page.requested_urls)
        assert not _csp_violations(page.console_messages)
