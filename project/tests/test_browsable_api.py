"""The browsable API under the CSP, in a real browser (Debian's chromium via Playwright).

Users are created before the browser opens: Playwright's sync API runs an
event loop in this thread, where Django refuses ORM calls.
"""

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.fixtures import browser_page

pytestmark = pytest.mark.django_db(transaction=True)


def _log_in(page, base_url, username):
    page.goto(f"{base_url}/api-auth/login/?next=/user/profile")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("[type=submit]")
    page.wait_for_url(f"{base_url}/user/profile")


@pytest.mark.browser
def test_log_out_link_logs_out_under_the_csp(live_server, chromium_path):
    UserFactory(username="browsable-bob")
    with browser_page(chromium_path) as page:
        _log_in(page, live_server.url, "browsable-bob")
        assert "browsable-bob" in page.locator(".navbar").inner_text()

        page.click(".navbar .dropdown-toggle")
        page.click("text=Log out")
        page.wait_for_load_state("networkidle")

        assert page.url == f"{live_server.url}/user/profile"
        assert "browsable-bob" not in page.locator(".navbar").inner_text()
        assert page.locator(".navbar", has_text="Log in").count() == 1
        assert "Authentication credentials were not provided." in page.content()
        assert not [m for m in page.console_messages if "Content Security Policy" in m]


def test_log_out_needs_no_inline_script(client):
    user = UserFactory()
    client.force_login(user)

    page = client.get("/user/profile", HTTP_ACCEPT="text/html").content.decode()

    assert 'id="logout"' in page
    assert "onclick" not in page
