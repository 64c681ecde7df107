import pytest
from rest_framework_simplejwt.exceptions import TokenError
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
