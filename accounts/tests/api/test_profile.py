import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = "/user/profile"


def test_profile_returns_callers_user_object(user_client, user):
    response = user_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "username",
        "email",
        "email_verified",
        "pending_email",
        "first_name",
        "last_name",
        "role",
        "active",
        "created_at",
        "updated_at",
        "last_login",
    }
    assert (body["id"], body["username"], body["role"]) == (user.pk, user.username, "USER")


def test_profile_get_runs_one_query(user_client, django_assert_num_queries):
    with django_assert_num_queries(1):
        user_client.get(URL)


def test_profile_without_token_is_401(api_client, db):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }


def test_profile_with_garbage_token_is_401(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer garbage")

    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"


def test_profile_accepts_trailing_slash(user_client):
    assert user_client.get(URL + "/").status_code == 200


def test_profile_patch_changes_names(user_client, user):
    response = user_client.patch(URL, {"first_name": "Ada", "last_name": "Lovelace"})

    assert response.status_code == 200
    assert (response.json()["first_name"], response.json()["last_name"]) == ("Ada", "Lovelace")
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Ada", "Lovelace")


@pytest.mark.parametrize(
    "fields",
    [(), ("username", "email", "first_name", "last_name")],
    ids=["empty", "same values"],
)
def test_profile_patch_that_changes_nothing_writes_nothing(user_client, user, fields):
    before = user_client.get(URL).json()

    with CaptureQueriesContext(connection) as queries:
        response = user_client.patch(URL, {name: getattr(user, name) for name in fields})

    assert response.status_code == 200
    assert response.json() == before
    assert user_client.get(URL).json() == before
    assert [q["sql"] for q in queries if q["sql"].startswith("UPDATE")] == []


def test_profile_patch_that_changes_a_field_bumps_updated_at(user_client, user):
    before = user.updated_at

    user_client.patch(URL, {"first_name": user.first_name + "x"})

    user.refresh_from_db()
    assert user.updated_at > before


def test_profile_put_replaces_identity(user_client, user, settings):
    settings.EMAIL_VERIFICATION = "none"  # else the email waits for confirmation
    body = {"username": "renamed", "email": "renamed@example.com", "first_name": "R"}

    response = user_client.put(URL, body)

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.username, user.email, user.first_name) == ("renamed", "renamed@example.com", "R")


def test_profile_put_requires_username_and_email(user_client):
    response = user_client.put(URL, {"first_name": "R"})

    assert response.status_code == 400
    assert set(response.json()) == {"username", "email"}


def test_profile_cannot_change_role_active_or_password(user_client, user):
    response = user_client.patch(
        URL,
        {"role": "ADMIN", "active": False, "password": "x", "is_superuser": True, "id": 7},
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.role, user.is_active, user.is_superuser) == (Role.USER, True, False)
    assert user.check_password(PASSWORD)


def test_profile_keeps_own_username_in_another_case(user_client, user):
    response = user_client.patch(URL, {"username": user.username.upper()})

    assert response.status_code == 200


def test_profile_rejects_username_of_another_user(user_client):
    UserFactory(username="taken")

    response = user_client.patch(URL, {"username": "TAKEN"})

    assert response.status_code == 400
    assert response.json() == {"username": ["A user with that username already exists."]}


def test_profile_rejects_email_of_another_user(user_client):
    UserFactory(email="taken@example.com")

    response = user_client.patch(URL, {"email": "Taken@Example.com"})

    assert response.status_code == 400
    assert response.json() == {"email": ["A user with that email already exists."]}


def test_profile_of_deleted_user_is_401(user_client, user):
    user.delete()

    assert user_client.get(URL).status_code == 401


def test_profile_of_deactivated_user_is_401(user_client, user):
    user.is_active = False
    user.save()

    assert user_client.get(URL).status_code == 401


def test_profile_works_with_session_login(client, user):
    client.force_login(user)

    response = client.get(URL, HTTP_ACCEPT="application/json")

    assert response.status_code == 200
    assert response.json()["username"] == user.username


def test_profile_session_write_without_csrf_token_is_403(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.patch(URL, {"first_name": "X"}, content_type="application/json")

    assert response.status_code == 403
    user.refresh_from_db()
    assert user.first_name != "X"


def test_profile_renders_browsable_api(client, user):
    client.force_login(user)

    response = client.get(URL, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert b"<html" in response.content
