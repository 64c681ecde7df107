"""The verification link end to end: registered over HTTP, mailed through a real SMTP
server by the mail worker, opened and confirmed in a real browser, once.

Playwright's sync API runs an event loop in this thread, where Django refuses
ORM calls: the test talks to the live server over HTTP only.
"""

import re

import pytest

from accounts.tests.factories import PASSWORD
from accounts.tests.fixtures import browser_page, use_public_base_url
from accounts.tests.test_password_reset_page import _post_json

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_emailed_link_opens_a_page_whose_button_verifies_once(
    live_server, smtp_server, run_mail_worker, settings, chromium_path
):
    use_public_base_url(settings, live_server.url)
    settings.EMAIL_VERIFICATION = "mandatory"
    login = f"{live_server.url}/user/login"
    credentials = {"username": "reader", "password": PASSWORD}
    status, body = _post_json(
        f"{live_server.url}/user/register", {**credentials, "email": "reader@example.com"}
    )
    assert (status, body["user"]["email_verified"]) == (201, False)
    assert _post_json(login, credentials)[0] == 403

    run_mail_worker()
    [message] = smtp_server.wait_for_messages(1)
    assert message["To"] == "reader@example.com"
    assert message["Subject"] == "Verify your email address"
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"{re.escape(live_server.url)}/user/verify-email/\S+", text).group()

    with browser_page(chromium_path) as page:
        opened = page.goto(link)
        assert opened.status == 200
        assert page.locator("h1").inner_text() == "Confirm your email address"
        assert _post_json(login, credentials)[0] == 403  # opening verified nothing
        with page.expect_navigation() as navigation:
            page.click("button[type=submit]")
        assert navigation.value.status == 200
        assert page.locator("h1").inner_text() == "Your email address is confirmed"
        assert page.locator("#message").inner_text() == "Email verified."
        again = page.goto(link)
        assert again.status == 400
        assert page.locator("h1").inner_text() == "This link cannot be used"
        assert not [m for m in page.console_messages if "Content Security Policy" in m]

    status, tokens = _post_json(login, credentials)
    assert (status, tokens["token_type"]) == (200, "Bearer")
