"""Tokens signed with the real key but with claims the service never writes: 401, never 500.

Through the three doors a token comes in by: the Authorization header, the
refresh route and the logout route. Nothing changes on a refusal.
"""

import pytest

from accounts import jwt
from accounts.models import Session
from accounts.tests import claims
from accounts.tests.factories import UserFactory, token_pair

pytestmark = pytest.mark.django_db

INVALID = {"detail": "Token is invalid or expired.", "code": "token_not_valid"}


def _profile(api_client, access):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api_client.get("/user/profile")


def _spend(api_client, path, refresh):
    return api_client.post(path, {"refresh_token": refresh})


def _assert_refused(response):
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "token_not_valid"


def _assert_nothing_changed(user):
    session = Session.objects.get(user=user)
    assert session.ended_at is None


@pytest.fixture
def victim(db):
    # Users before it, so that odd forms of its id could name another account.
    UserFactory.create_batch(2)
    return UserFactory()


def _odd_user_id_cases():
    # Keys only: the values depend on the user's id.
    return list(claims.odd_user_ids(1))


@pytest.mark.parametrize("case", _odd_user_id_cases())
def test_an_odd_user_id_in_an_access_token_is_refused(api_client, victim, case):
    access = token_pair(victim)["access_token"]
    forged = claims.resigned(
        jwt.SessionAccessToken, access, user_id=claims.odd_user_ids(victim.pk)[case]
    )

    _assert_refused(_profile(api_client, forged))


@pytest.mark.parametrize("path", ["/user/token/refresh", "/user/logout"])
@pytest.mark.parametrize("case", _odd_user_id_cases())
def test_an_odd_user_id_in_a_refresh_token_is_refused(api_client, victim, case, path):
    refresh = token_pair(victim)["refresh_token"]
    forged = claims.resigned(
        jwt.SessionRefreshToken, refresh, user_id=claims.odd_user_ids(victim.pk)[case]
    )

    _assert_refused(_spend(api_client, path, forged))
    _assert_nothing_changed(victim)


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("case", list(claims.ODD_TIMES))
def test_an_odd_time_in_an_access_token_is_refused(api_client, user, claim, case):
    access = token_pair(user)["access_token"]
    forged = claims.resigned(jwt.SessionAccessToken, access, **{claim: claims.ODD_TIMES[case]})

    _assert_refused(_profile(api_client, forged))


@pytest.mark.parametrize("path", ["/user/token/refresh", "/user/logout"])
@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
@pytest.mark.parametrize("case", list(claims.ODD_TIMES))
def test_an_odd_time_in_a_refresh_token_is_refused(api_client, user, case, claim, path):
    refresh = token_pair(user)["refresh_token"]
    forged = claims.resigned(jwt.SessionRefreshToken, refresh, **{claim: claims.ODD_TIMES[case]})

    _assert_refused(_spend(api_client, path, forged))
    _assert_nothing_changed(user)


@pytest.mark.parametrize("claim", ["sid", "jti", "user_id", "exp"])
def test_a_token_missing_a_claim_is_refused(api_client, user, claim):
    pair = token_pair(user)
    access = claims.resigned(jwt.SessionAccessToken, pair["access_token"], **{claim: ...})
    refresh = claims.resigned(jwt.SessionRefreshToken, pair["refresh_token"], **{claim: ...})

    _assert_refused(_profile(api_client, access))
    _assert_refused(_spend(api_client, "/user/token/refresh", refresh))
    _assert_refused(_spend(api_client, "/user/logout", refresh))
    _assert_nothing_changed(user)


@pytest.mark.parametrize("claim", ["sid", "jti"])
@pytest.mark.parametrize("case", list(claims.ODD_IDS))
def test_an_odd_session_or_token_id_is_refused(api_client, user, claim, case):
    pair = token_pair(user)
    value = claims.ODD_IDS[case]
    access = claims.resigned(jwt.SessionAccessToken, pair["access_token"], **{claim: value})
    refresh = claims.resigned(jwt.SessionRefreshToken, pair["refresh_token"], **{claim: value})

    _assert_refused(_profile(api_client, access))
    _assert_refused(_spend(api_client, "/user/token/refresh", refresh))
    _assert_refused(_spend(api_client, "/user/logout", refresh))
    _assert_nothing_changed(user)


@pytest.mark.parametrize("path", ["/user/token/refresh", "/user/logout"])
def test_a_refresh_token_of_a_session_never_issued_is_refused(api_client, user, path):
    refresh = token_pair(user)["refresh_token"]
    forged = claims.resigned(jwt.SessionRefreshToken, refresh, sid=claims.unknown_session_id())

    response = _spend(api_client, path, forged)

    assert response.status_code == 401
    assert response.json() == INVALID
    _assert_nothing_changed(user)


@pytest.mark.parametrize("path", ["/user/token/refresh", "/user/logout"])
def test_a_refresh_token_naming_another_users_session_is_refused(api_client, user, path):
    refresh = token_pair(user)["refresh_token"]
    other = UserFactory()
    other_session = jwt.read_refresh_token(token_pair(other)["refresh_token"]).session_id
    forged = claims.resigned(jwt.SessionRefreshToken, refresh, sid=other_session)

    _assert_refused(_spend(api_client, path, forged))
    _assert_nothing_changed(other)


def test_an_access_token_of_a_session_never_issued_is_refused(api_client, user):
    access = token_pair(user)["access_token"]
    forged = claims.resigned(jwt.SessionAccessToken, access, sid=claims.unknown_session_id())

    response = _profile(api_client, forged)

    assert response.status_code == 401
    assert response.json() == INVALID
