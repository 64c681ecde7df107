"""The account emails: what they say, where their links point, and when they no longer apply."""

import pytest

from accounts import mail, tokens

pytestmark = pytest.mark.django_db

LINK_PREFIX = "https://accounts.example.com/user/reset-password/"


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://accounts.example.com"
    settings.DEFAULT_FROM_EMAIL = "Accounts <noreply@example.com>"


def _link_in(text):
    start = text.index(LINK_PREFIX)
    return text[start:].split()[0].split('"')[0]


def test_reset_email_goes_to_the_address_with_a_subject_text_and_html(user):
    message = mail.password_reset(user, user.email)

    assert message.to == [user.email]
    assert message.from_email == "Accounts <noreply@example.com>"
    assert message.subject == "Reset your password"
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f"Hello {user.username}," in message.body
    assert "expires in 1 hour" in message.body
    assert f'<a href="{_link_in(html)}">' in html


def test_reset_link_is_absolute_from_public_base_url_and_carries_a_working_token(user):
    message = mail.password_reset(user, user.email)

    link = _link_in(message.body)
    assert link == _link_in(message.alternatives[0][0])
    assert tokens.user_for_reset_token(link.removeprefix(LINK_PREFIX)) == user


def test_deployer_can_override_the_templates(user, settings, tmp_path):
    folder = tmp_path / "accounts" / "email"
    folder.mkdir(parents=True)
    (folder / "password_reset_subject.txt").write_text("Acme: new password\n\n")
    (folder / "password_reset_body.txt").write_text("Go to {{ link }}\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]

    message = mail.password_reset(user, user.email)

    assert message.subject == "Acme: new password"
    assert message.body.startswith(f"Go to {LINK_PREFIX}")


def test_no_reset_email_once_the_address_changed(user):
    old = user.email
    user.email = "new@example.com"

    assert mail.password_reset(user, old) is None


def test_no_reset_email_for_a_deactivated_account(user):
    user.is_active = False

    assert mail.password_reset(user, user.email) is None


def test_no_reset_email_for_an_account_without_usable_password(user):
    user.set_unusable_password()

    assert mail.password_reset(user, user.email) is None
