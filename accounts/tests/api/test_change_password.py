import pytest

from accounts.tests.factories import PASSWORD, token_pair

pytestmark = pytest.mark.django_db

URL = "/user/change-password"
NEW = "Another-Horse-43"


def test_change_password_sets_new_password(user_client, user):
    response = user_client.post(URL, {"current_password": PASSWORD, "new_password": NEW})

    assert response.status_code == 200
    assert response.json() == {"msg": "Password changed."}
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_change_password_rejects_wrong_current_password(user_client, user):
    response = user_client.post(URL, {"current_password": "nope", "new_password": NEW})

    assert response.status_code == 400
    assert response.json() == {
        "current_password": ["Your current password was entered incorrectly."]
    }
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_change_password_rejects_weak_new_password(user_client, user):
    response = user_client.post(URL, {"current_password": PASSWORD, "new_password": "123"})

    assert response.status_code == 400
    assert "new_password" in response.json()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_change_password_requires_authentication(api_client, db):
    response = api_client.post(URL, {"current_password": PASSWORD, "new_password": NEW})

    assert response.status_code == 401


def test_change_password_ends_older_access_tokens(api_client, user):
    pair = token_pair(user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    api_client.post(URL, {"current_password": PASSWORD, "new_password": NEW})

    response = api_client.get("/user/profile")

    assert response.status_code == 401


def test_change_password_ends_older_refresh_tokens(api_client, user):
    pair = token_pair(user)
    other = token_pair(user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    api_client.post(URL, {"current_password": PASSWORD, "new_password": NEW})
    api_client.credentials()

    response = api_client.post("/user/token/refresh", {"refresh_token": other["refresh_token"]})

    assert response.status_code == 401


def test_login_after_password_change_works(api_client, user_client, user):
    user_client.post(URL, {"current_password": PASSWORD, "new_password": NEW})

    response = api_client.post("/user/login", {"username": user.username, "password": NEW})

    assert response.status_code == 200
