"""The reset link in a real browser: email to a real SMTP server, page on a live server.

Playwright drives Debian's chromium. Its sync API runs an event loop in this
thread, where Django refuses ORM calls, so each test does its database work
before the browser opens and talks to the service over HTTP afterwards.
"""

import json
import re
import urllib.error
import urllib.request

import pytest

from accounts import tokens
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.tests.fixtures import browser_page, use_public_base_url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW = "Brand-New-Horse-77"


def _post_json(url, body):
    """POST JSON to the live server and return (status, decoded body)."""
    request = urllib.request.Request(  # noqa: S310 - a loopback http URL we built
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _choose_password(page, password, confirmation=None):
    page.fill("#id_new_password", password)
    page.fill("#id_new_password_confirm", password if confirmation is None else confirmation)
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    return navigation.value


def test_emailed_link_opens_a_page_that_resets_the_password(
    live_server, smtp_server, run_mail_worker, settings, chromium_path
):
    use_public_base_url(settings, live_server.url)
    user = UserFactory(email="reader@example.com")
    username = user.username

    status, body = _post_json(
        f"{live_server.url}/user/request-password-reset", {"email": "reader@example.com"}
    )
    assert (status, body["message"]) == (
        200,
        "If an account with that email exists, a password reset link has been sent.",
    )
    run_mail_worker()
    [message] = smtp_server.wait_for_messages(1)
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(rf"{re.escape(live_server.url)}/user/reset-password/\S+", text).group()

    with browser_page(chromium_path) as page:
        opened = page.goto(link)
        assert opened.status == 200
        assert page.locator("h1").inner_text() == "Choose a new password"
        answered = _choose_password(page, NEW)
        assert answered.status == 200
        assert page.locator("h1").inner_text() == "Your password has been reset"
        assert "Password has been reset." in page.locator("#message").inner_text()

    login = f"{live_server.url}/user/login"
    new_status, tokens_body = _post_json(login, {"username": username, "password": NEW})
    old_status, _ = _post_json(login, {"username": username, "password": PASSWORD})
    assert new_status == 200
    assert tokens_body["token_type"] == "Bearer"
    assert old_status == 401


def test_weak_password_shows_the_validators_messages_and_keeps_the_link(live_server, chromium_path):
    user = UserFactory()
    username = user.username
    link = f"{live_server.url}/user/reset-password/{tokens.make_reset_token(user)}"

    with browser_page(chromium_path) as page:
        page.goto(link)
        refused = _choose_password(page, "12345")
        assert refused.status == 400
        errors = page.locator("#new_password_errors").inner_text()
        assert "This password is too short. It must contain at least 8 characters." in errors
        assert "This password is entirely numeric." in errors
        mismatched = _choose_password(page, NEW, NEW + "?")
        assert mismatched.status == 400
        assert page.locator("#new_password_confirm_errors").inner_text() == (
            "The two passwords do not match."
        )
        accepted = _choose_password(page, NEW)
        assert accepted.status == 200
        assert page.locator("h1").inner_text() == "Your password has been reset"

    status, _ = _post_json(f"{live_server.url}/user/login", {"username": username, "password": NEW})
    assert status == 200


def test_invalid_link_shows_a_page_saying_so(live_server, chromium_path):
    user = UserFactory()
    token = tokens.make_reset_token(user)
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")

    with browser_page(chromium_path) as page:
        for bad in (tampered, "garbage"):
            response = page.goto(f"{live_server.url}/user/reset-password/{bad}")
            assert response.status == 400
            assert response.headers["content-type"] == "text/html; charset=utf-8"
            assert page.locator("h1").inner_text() == "This link cannot be used"
            assert "invalid or has expired" in page.locator("#message").inner_text()
            assert page.locator("form").count() == 0


def test_used_link_shows_the_invalid_link_page(live_server, chromium_path):
    user = UserFactory()
    link = f"{live_server.url}/user/reset-password/{tokens.make_reset_token(user)}"

    with browser_page(chromium_path) as page:
        page.goto(link)
        _choose_password(page, NEW)
        again = page.goto(link)
        assert again.status == 400
        assert page.locator("h1").inner_text() == "This link cannot be used"
