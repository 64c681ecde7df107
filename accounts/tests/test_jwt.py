from datetime import timedelta

import jwt as pyjwt
import pytest
import time_machine
from django.utils import timezone
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken

from accounts import jwt
from accounts.tests.factories import token_pair

pytestmark = pytest.mark.django_db


def test_both_tokens_name_the_same_session(user):
    pair = token_pair(user)

    access = jwt.SessionAccessToken(pair["access_token"])
    refresh = jwt.read_refresh_token(pair["refresh_token"])

    assert access.session_id == refresh.session_id == user.sessions.get().pk


def test_tokens_carry_the_user_id_as_a_string_and_the_password_claim(user):
    pair = token_pair(user)

    for token in (jwt.SessionAccessToken(pair["access_token"]), AccessToken(pair["access_token"])):
        assert token["user_id"] == str(user.pk)
        assert token["hash_password"] == jwt.password_claim(user)


def test_issuing_writes_no_blacklist_app_rows(user):
    token_pair(user)

    assert not OutstandingToken.objects.exists()


def test_an_access_token_is_not_a_refresh_token(user):
    with pytest.raises(TokenError):
        jwt.read_refresh_token(token_pair(user)["access_token"])


def test_a_refresh_token_is_not_an_access_token(user):
    with pytest.raises(TokenError):
        jwt.SessionAccessToken(token_pair(user)["refresh_token"])


# --- Remembered verifications ---------------------------------------------------------


@pytest.fixture
def pyjwt_decodes(monkeypatch):
    """Count PyJWT's decodes (the verification the backend remembers)."""
    calls = []
    real = pyjwt.decode
    monkeypatch.setattr(pyjwt, "decode", lambda *a, **k: calls.append(1) or real(*a, **k))
    jwt._verified.cache_clear()
    return calls


def test_an_access_token_is_verified_once_per_process(user, pyjwt_decodes):
    access = token_pair(user)["access_token"]

    first, second = jwt.SessionAccessToken(access), jwt.SessionAccessToken(access)

    assert first.payload == second.payload == AccessToken(access).payload
    assert len(pyjwt_decodes) == 2  # ours once, SimpleJWT's stock AccessToken once


def test_a_remembered_token_expires_as_a_fresh_one_does(user, pyjwt_decodes):
    access = token_pair(user)["access_token"]
    jwt.SessionAccessToken(access)
    expired_at = timezone.now() + api_settings.ACCESS_TOKEN_LIFETIME

    with time_machine.travel(expired_at + timedelta(seconds=1)):
        with pytest.raises(TokenError) as remembered:
            jwt.SessionAccessToken(access)
        jwt._verified.cache_clear()
        with pytest.raises(TokenError) as fresh:
            jwt.SessionAccessToken(access)

    assert str(remembered.value) == str(fresh.value) == "Token is expired"


def test_a_forged_token_is_refused_every_time(user, pyjwt_decodes):
    header, payload, signature = token_pair(user)["access_token"].split(".")
    forged = f"{header}.{payload}.{signature[:-2]}AA"

    for _ in range(2):
        with pytest.raises(TokenError):
            jwt.SessionAccessToken(forged)

    assert len(pyjwt_decodes) == 2


def test_a_backend_with_another_key_verifies_again(user, pyjwt_decodes):
    access = token_pair(user)["access_token"]
    jwt.SessionAccessToken(access)
    other = jwt._RememberingBackend(TokenBackend(api_settings.ALGORITHM, "another-key-" * 8))

    with pytest.raises(TokenBackendError):
        other.decode(access)
