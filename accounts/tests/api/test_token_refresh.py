import pytest
import time_machine
from django.utils import timezone

from accounts import jwt, services
from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

URL = "/user/token/refresh"


def refresh(api_client, token):
    return api_client.post(URL, {"refresh_token": token})


def test_refresh_returns_new_pair(api_client, user):
    pair = jwt.issue_token_pair(user)

    response = refresh(api_client, pair["refresh_token"])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["refresh_token"] != pair["refresh_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api_client.get("/user/profile").status_code == 200


def test_refresh_token_cannot_be_used_twice(api_client, user):
    pair = jwt.issue_token_pair(user)
    refresh(api_client, pair["refresh_token"])

    response = refresh(api_client, pair["refresh_token"])

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "token_not_valid"


def test_refresh_rejects_access_token(api_client, user):
    response = refresh(api_client, jwt.issue_token_pair(user)["access_token"])

    assert response.status_code == 401


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 4096])
def test_refresh_rejects_invalid_token_with_401(api_client, db, token):
    response = refresh(api_client, token)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


@pytest.mark.parametrize("token", ["", "x" * 4097, None, {"a": 1}])
def test_refresh_rejects_malformed_field_with_400(api_client, db, token):
    response = refresh(api_client, token)

    assert response.status_code == 400
    assert "refresh_token" in response.json()


def test_refresh_requires_refresh_token(api_client, db):
    response = api_client.post(URL, {})

    assert response.status_code == 400
    assert response.json() == {"refresh_token": ["This field is required."]}


def test_refresh_of_deleted_user_is_401_not_500(api_client, user):
    pair = jwt.issue_token_pair(user)
    user.delete()

    assert refresh(api_client, pair["refresh_token"]).status_code == 401


def test_refresh_of_inactive_user_is_401(api_client, user):
    pair = jwt.issue_token_pair(user)
    services.user_update(user=user, is_active=False)

    assert refresh(api_client, pair["refresh_token"]).status_code == 401


def test_refresh_token_dies_when_password_changes(api_client, user):
    pair = jwt.issue_token_pair(user)
    services.user_change_password(user=user, password="Another-Horse-43")

    assert refresh(api_client, pair["refresh_token"]).status_code == 401


def test_refresh_token_expires(api_client, user, settings):
    pair = jwt.issue_token_pair(user)
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]

    with time_machine.travel(timezone.now() + lifetime + timezone.timedelta(seconds=1)):
        response = refresh(api_client, pair["refresh_token"])

    assert response.status_code == 401


def test_refresh_keeps_password_unchanged(api_client, user):
    refresh(api_client, jwt.issue_token_pair(user)["refresh_token"])

    user.refresh_from_db()
    assert user.check_password(PASSWORD)
