"""The opaque reset token: it names its user and dies once used, stale or tampered."""

import base64
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import update_last_login
from django.utils import timezone

from accounts import tokens
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _b64(text):
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def test_token_names_its_user(user):
    assert tokens.user_for_reset_token(tokens.make_reset_token(user)) == user


def test_token_is_url_safe_and_joins_two_parts_with_a_dot(user):
    token = tokens.make_reset_token(user)
    uid, django_token = token.split(".")
    assert uid == _b64(str(user.pk))
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert "-" in django_token


def test_token_dies_when_the_password_changes(user):
    token = tokens.make_reset_token(user)
    user.set_password("Another-Pass-99")
    user.save()
    assert tokens.user_for_reset_token(token) is None


def test_token_dies_when_the_user_logs_in(user):
    token = tokens.make_reset_token(user)
    update_last_login(None, user)
    assert tokens.user_for_reset_token(token) is None


def test_token_dies_when_the_email_changes(user):
    token = tokens.make_reset_token(user)
    user.email = "new-address@example.com"
    user.save()
    assert tokens.user_for_reset_token(token) is None


def test_token_expires_after_password_reset_timeout(user, settings):
    settings.PASSWORD_RESET_TIMEOUT = 600
    token = tokens.make_reset_token(user)
    with time_machine.travel(timezone.now() + timedelta(seconds=590)):
        assert tokens.user_for_reset_token(token) == user
    with time_machine.travel(timezone.now() + timedelta(seconds=610)):
        assert tokens.user_for_reset_token(token) is None


def test_token_of_an_inactive_user_is_refused(user):
    token = tokens.make_reset_token(user)
    user.is_active = False
    user.save()
    assert tokens.user_for_reset_token(token) is None


def test_token_of_a_deleted_user_is_refused(user):
    token = tokens.make_reset_token(user)
    user.delete()
    assert tokens.user_for_reset_token(token) is None


def test_token_with_another_users_id_is_refused(user):
    other = UserFactory()
    _uid, django_token = tokens.make_reset_token(user).split(".")
    assert tokens.user_for_reset_token(f"{_b64(str(other.pk))}.{django_token}") is None


def test_tampered_token_is_refused(user):
    token = tokens.make_reset_token(user)
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert tokens.user_for_reset_token(tampered) is None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        ".",
        "..",
        "MQ",
        "MQ.",
        ".abc-def",
        "!!!.abc-def",
        "MQ.abc",
        "MQ.zzzzzzzzzzzzzz-abc",
        f"{_b64('abc')}.abc-def",
        f"{_b64('-1')}.abc-def",
        f"{_b64('9' * 40)}.abc-def",
        f"{_b64('1')}.abc-def.ghi",
        "\x00.\x00",
        "MQ." + "a" * 5000,
        None,
        12,
    ],
)
def test_garbage_token_is_refused(user, token):
    assert tokens.user_for_reset_token(token) is None


# --- Verification tokens ---------------------------------------------------------------


def test_verification_token_names_its_user_and_is_url_safe(user):
    token = tokens.make_verification_token(user)

    assert tokens.user_for_verification_token(token) == user
    uid, _django_token = token.split(".")
    assert uid == _b64(str(user.pk))
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_verification_and_reset_tokens_are_salted_apart(user):
    reset, verification = tokens.make_reset_token(user), tokens.make_verification_token(user)

    assert reset != verification
    assert tokens.user_for_verification_token(reset) is None
    assert tokens.user_for_reset_token(verification) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "another@example.com"),
        ("email_verified", True),
        ("pending_email", "pending@example.com"),
    ],
)
def test_verification_token_dies_when_the_address_or_its_state_changes(user, field, value):
    token = tokens.make_verification_token(user)
    setattr(user, field, value)
    user.save()

    assert tokens.user_for_verification_token(token) is None


def test_verification_token_dies_when_a_newer_change_replaces_the_pending_one(user):
    user.pending_email = "first@example.com"
    user.save()
    token = tokens.make_verification_token(user)
    user.pending_email = "second@example.com"
    user.save()

    assert tokens.user_for_verification_token(token) is None


def test_verification_token_survives_a_login_and_a_password_change(user):
    token = tokens.make_verification_token(user)
    update_last_login(None, user)
    user.set_password("Another-Pass-99")
    user.save()

    assert tokens.user_for_verification_token(token) == user


def test_verification_token_expires_after_its_own_timeout(user, settings):
    settings.EMAIL_VERIFICATION_TIMEOUT = 7200
    settings.PASSWORD_RESET_TIMEOUT = 60
    token = tokens.make_verification_token(user)
    with time_machine.travel(timezone.now() + timedelta(seconds=7190)):
        assert tokens.user_for_verification_token(token) == user
    with time_machine.travel(timezone.now() + timedelta(seconds=7210)):
        assert tokens.user_for_verification_token(token) is None


def test_verification_token_signed_with_a_fallback_secret_still_works(user, settings):
    token = tokens.make_verification_token(user)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-secret-" + "x" * 50

    assert tokens.user_for_verification_token(token) == user


def test_tampered_verification_token_is_refused(user):
    token = tokens.make_verification_token(user)
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    assert tokens.user_for_verification_token(tampered) is None


@pytest.mark.parametrize(
    "token", ["", "garbage", ".", "MQ.", "MQ.abc", "MQ.zz-", "MQ.-abc", "MQ." + "a" * 5000, None, 3]
)
def test_garbage_verification_token_is_refused(user, token):
    assert tokens.user_for_verification_token(token) is None
