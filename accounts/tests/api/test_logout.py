import pytest

from accounts import jwt

pytestmark = pytest.mark.django_db

URL = "/user/logout"


def test_logout_answers_message(api_client, user):
    pair = jwt.issue_token_pair(user)

    response = api_client.post(URL, {"refresh_token": pair["refresh_token"]})

    assert response.status_code == 200
    assert response.json() == {"msg": "Logged out."}


def test_logout_ends_the_refresh_token(api_client, user):
    pair = jwt.issue_token_pair(user)
    api_client.post(URL, {"refresh_token": pair["refresh_token"]})

    response = api_client.post("/user/token/refresh", {"refresh_token": pair["refresh_token"]})

    assert response.status_code == 401


def test_logout_ends_access_tokens_issued_with_it(api_client, user):
    pair = jwt.issue_token_pair(user)
    api_client.post(URL, {"refresh_token": pair["refresh_token"]})

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    response = api_client.get("/user/profile")

    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_logout_leaves_other_sessions_alive(api_client, user):
    session_a = jwt.issue_token_pair(user)
    session_b = jwt.issue_token_pair(user)
    api_client.post(URL, {"refresh_token": session_a["refresh_token"]})

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {session_b['access_token']}")

    assert api_client.get("/user/profile").status_code == 200


def test_logout_twice_is_401(api_client, user):
    pair = jwt.issue_token_pair(user)
    api_client.post(URL, {"refresh_token": pair["refresh_token"]})

    response = api_client.post(URL, {"refresh_token": pair["refresh_token"]})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_logout_with_invalid_token_is_401(api_client, db):
    response = api_client.post(URL, {"refresh_token": "not-a-token"})

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_logout_requires_refresh_token(api_client, db):
    response = api_client.post(URL, {})

    assert response.status_code == 400
