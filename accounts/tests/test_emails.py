"""The reset email: what it says, where its link points, and failing quietly."""

import logging
import time

import pytest

from accounts import emails, tokens

pytestmark = pytest.mark.django_db

LINK_PREFIX = "https://accounts.example.com/user/reset-password/"


@pytest.fixture(autouse=True)
def _public_base_url(settings):
    settings.PUBLIC_BASE_URL = "https://accounts.example.com"
    settings.DEFAULT_FROM_EMAIL = "Accounts <noreply@example.com>"


def _link_in(text):
    start = text.index(LINK_PREFIX)
    return text[start:].split()[0].split('"')[0]


def test_email_goes_to_the_user_with_a_subject_text_and_html(user, mailoutbox):
    emails.send_password_reset_email(user)
    [message] = mailoutbox
    assert message.to == [user.email]
    assert message.from_email == "Accounts <noreply@example.com>"
    assert message.subject == "Reset your password"
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f"Hello {user.username}," in message.body
    assert "expires in 1 hour" in message.body
    assert f'<a href="{_link_in(html)}">' in html


def test_link_is_absolute_from_public_base_url_and_carries_a_working_token(user, mailoutbox):
    emails.send_password_reset_email(user)
    link = _link_in(mailoutbox[0].body)
    assert link == _link_in(mailoutbox[0].alternatives[0][0])
    token = link.removeprefix(LINK_PREFIX)
    assert tokens.user_for_reset_token(token) == user


def test_deployer_can_override_the_templates(user, mailoutbox, settings, tmp_path):
    folder = tmp_path / "accounts" / "email"
    folder.mkdir(parents=True)
    (folder / "password_reset_subject.txt").write_text("Acme: new password\n\n")
    (folder / "password_reset_body.txt").write_text("Go to {{ link }}\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    emails.send_password_reset_email(user)
    assert mailoutbox[0].subject == "Acme: new password"
    assert mailoutbox[0].body.startswith(f"Go to {LINK_PREFIX}")


def test_unreachable_mail_server_is_logged_by_pk_only(user, smtp_server_down, caplog):
    token_prefix = tokens.make_reset_token(user).split("-")[0]
    with caplog.at_level(logging.ERROR, logger="accounts.emails"):
        emails.send_password_reset_email(user)  # does not raise
    [record] = caplog.records
    assert record.getMessage() == (
        f"Could not send the password reset email to user {user.pk}: ConnectionRefusedError"
    )
    assert record.exc_info is None
    for secret in (user.email, LINK_PREFIX, token_prefix):
        assert secret not in caplog.text


def test_refused_recipient_is_logged_without_the_smtp_servers_text(user, smtp_server, caplog):
    smtp_server.refuse = True
    user.email = "nobody@invalid.example"
    with caplog.at_level(logging.ERROR, logger="accounts.emails"):
        emails.send_password_reset_email(user)
    [record] = caplog.records
    assert record.getMessage() == (
        f"Could not send the password reset email to user {user.pk}: SMTPRecipientsRefused"
    )
    assert "nobody" not in caplog.text


def test_email_reaches_a_real_smtp_server(user, smtp_server):
    emails.send_password_reset_email(user)
    [message] = smtp_server.wait_for_messages(1)
    assert message["To"] == user.email
    assert message["Subject"] == "Reset your password"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert tokens.user_for_reset_token(_link_in(text).removeprefix(LINK_PREFIX)) == user
    assert _link_in(html) == _link_in(text)


def test_queued_email_is_sent_from_another_thread_without_waiting(user, slow_smtp_server):
    started = time.monotonic()
    emails.queue_password_reset_email(user)
    assert time.monotonic() - started < 1
    assert slow_smtp_server.messages == []
    emails.wait_for_queued_emails(timeout=15)
    assert len(slow_smtp_server.messages) == 1
