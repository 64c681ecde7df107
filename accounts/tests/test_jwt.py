import pytest
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import jwt

pytestmark = pytest.mark.django_db


def test_access_token_names_its_refresh_token(user):
    pair = jwt.issue_token_pair(user)

    access = AccessToken(pair["access_token"])

    assert access[jwt.REFRESH_JTI_CLAIM] == RefreshToken(pair["refresh_token"])["jti"]


def test_tokens_carry_password_claim(user):
    pair = jwt.issue_token_pair(user)

    assert "hash_password" in AccessToken(pair["access_token"])
    assert "hash_password" in RefreshToken(pair["refresh_token"])


def test_rotate_spends_the_old_token(user):
    pair = jwt.issue_token_pair(user)
    jwt.rotate_refresh_token(pair["refresh_token"])

    with pytest.raises(TokenError):
        jwt.rotate_refresh_token(pair["refresh_token"])


def test_revoke_refresh_token_twice_fails(user):
    pair = jwt.issue_token_pair(user)
    jwt.revoke_refresh_token(pair["refresh_token"])

    with pytest.raises(TokenError):
        jwt.revoke_refresh_token(pair["refresh_token"])


def test_refresh_token_unknown_to_the_database_is_refused(user):
    """A validly signed token never recorded as outstanding cannot be spent."""
    refresh = RefreshToken()
    refresh["user_id"] = str(user.pk)

    with pytest.raises(TokenError):
        jwt.revoke_refresh_token(str(refresh))


@pytest.mark.django_db(transaction=True)
def test_concurrent_rotations_of_one_token_let_only_one_win(user):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    raw = jwt.issue_token_pair(user)["refresh_token"]

    def attempt(_):
        try:
            jwt.rotate_refresh_token(raw)
            return "won"
        except TokenError:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(attempt, range(4)))

    assert outcomes.count("won") == 1
