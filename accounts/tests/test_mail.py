"""The account emails: what they say, where their links point, and when they no longer apply."""

import pytest

from accounts import mail, tokens
from accounts.tests.fixtures import use_public_base_url

pytestmark = pytest.mark.django_db

LINK_PREFIX = "https://accounts.example.com/user/reset-password/"


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    use_public_base_url(settings, "https://accounts.example.com")
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


# --- Verification and email change ---------------------------------------------------------

VERIFY_PREFIX = "https://accounts.example.com/user/verify-email/"


def _verify_token_in(text):
    start = text.index(VERIFY_PREFIX)
    return text[start:].split()[0].split('"')[0].removeprefix(VERIFY_PREFIX)


def test_verification_email_links_to_the_verify_page(user):
    message = mail.email_verification(user, user.email)

    assert message.to == [user.email]
    assert message.subject == "Verify your email address"
    assert f"Hello {user.username}," in message.body
    assert "expires in 3 days" in message.body
    token = _verify_token_in(message.body)
    assert _verify_token_in(message.alternatives[0][0]) == token
    assert tokens.user_for_verification_token(token) == user


def test_email_change_link_goes_to_the_pending_address(user):
    user.pending_email = "new@example.com"
    user.save()

    message = mail.email_change(user, "new@example.com")

    assert message.to == ["new@example.com"]
    assert message.subject == "Confirm your new email address"
    assert tokens.user_for_verification_token(_verify_token_in(message.body)) == user


def test_email_change_notice_carries_no_link(user):
    message = mail.email_change_notice(user, "old@example.com")

    assert message.to == ["old@example.com"]
    assert message.subject == "A change of your email address was requested"
    assert f"Hello {user.username}," in message.body
    for text in (message.body, message.alternatives[0][0]):
        assert "http" not in text


def test_links_follow_the_frontend_templates(user, settings):
    settings.EMAIL_VERIFY_URL = "https://app.example.com/verify#t={token}"
    settings.PASSWORD_RESET_URL = "https://app.example.com/reset?token={token}"

    verify = mail.email_verification(user, user.email)
    reset = mail.password_reset(user, user.email)

    token = verify.body.split("https://app.example.com/verify#t=")[1].split()[0]
    assert tokens.user_for_verification_token(token) == user
    token = reset.body.split("https://app.example.com/reset?token=")[1].split()[0]
    assert tokens.user_for_reset_token(token) == user


@pytest.mark.parametrize(
    "change",
    [
        {"email_verified": True},  # verified meanwhile
        {"pending_email": "new@example.com"},  # a change took over
        {"email": "other@example.com"},  # the address changed
        {"is_active": False},
    ],
)
def test_no_verification_email_once_it_no_longer_applies(user, change):
    address = user.email
    for name, value in change.items():
        setattr(user, name, value)

    assert mail.email_verification(user, address) is None


@pytest.mark.parametrize(
    "change",
    [
        {"pending_email": "newer@example.com"},  # a newer change replaced it
        {"pending_email": None, "email": "new@example.com"},  # confirmed already
        {"is_active": False},
    ],
)
def test_no_email_change_link_once_the_change_is_not_pending(user, change):
    user.pending_email = "new@example.com"
    for name, value in change.items():
        setattr(user, name, value)

    assert mail.email_change(user, "new@example.com") is None
