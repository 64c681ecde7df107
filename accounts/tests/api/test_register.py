import pytest

from accounts.models import Role, User
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = "/user/register"


def payload(**overrides):
    body = {
        "username": "alice",
        "first_name": "Alice",
        "last_name": "Liddell",
        "email": "alice@example.com",
        "password": PASSWORD,
    }
    body.update(overrides)
    return body


def test_register_creates_user_and_returns_user_object(api_client):
    response = api_client.post(URL, payload())

    assert response.status_code == 201
    body = response.json()
    assert body["msg"] == "User registered successfully."
    user = User.objects.get(username="alice")
    assert body["user"] == {
        "id": user.pk,
        "username": "alice",
        "email": "alice@example.com",
        "email_verified": False,
        "pending_email": None,
        "first_name": "Alice",
        "last_name": "Liddell",
        "role": "USER",
        "active": True,
        "created_at": body["user"]["created_at"],
        "updated_at": body["user"]["updated_at"],
        "last_login": None,
    }
    assert body["user"]["created_at"].endswith("Z")
    assert user.check_password(PASSWORD)


def test_register_accepts_trailing_slash(api_client):
    assert api_client.post(URL + "/", payload()).status_code == 201


def test_register_ignores_role_and_privilege_fields(api_client):
    response = api_client.post(
        URL,
        payload(role="ADMIN", active=False, is_superuser=True, is_staff=True, id=999),
    )

    assert response.status_code == 201
    user = User.objects.get(username="alice")
    assert (user.role, user.is_active, user.is_superuser, user.pk) == (
        Role.USER,
        True,
        False,
        response.json()["user"]["id"],
    )
    assert user.pk != 999


def test_register_never_returns_password(api_client):
    response = api_client.post(URL, payload())

    assert "password" not in response.json()["user"]
    assert PASSWORD not in response.content.decode()


def test_register_rejects_username_taken_in_another_case(api_client):
    UserFactory(username="alice")

    response = api_client.post(URL, payload(username="ALICE", email="other@example.com"))

    assert response.status_code == 400
    assert response.json() == {"username": ["A user with that username already exists."]}
    assert User.objects.count() == 1


def test_register_normalizes_fullwidth_username_before_uniqueness(api_client):
    UserFactory(username="admin")

    response = api_client.post(URL, payload(username="ａｄｍｉｎ"))

    assert response.status_code == 400
    assert "username" in response.json()


def test_register_stores_nfkc_normalized_username(api_client):
    response = api_client.post(URL, payload(username="ｂｏｂ"))

    assert response.status_code == 201
    assert response.json()["user"]["username"] == "bob"


def test_register_rejects_email_taken_in_another_case(api_client):
    UserFactory(email="alice@example.com")

    response = api_client.post(URL, payload(email="ALICE@EXAMPLE.COM"))

    assert response.status_code == 400
    assert response.json() == {"email": ["A user with that email already exists."]}


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password123", "This password is too common."),
        ("short", "This password is too short. It must contain at least 8 characters."),
        ("8937465021", "This password is entirely numeric."),
        ("alice123!", "The password is too similar to the username."),
    ],
)
def test_register_rejects_weak_password(api_client, password, message):
    response = api_client.post(URL, payload(password=password))

    assert response.status_code == 400
    assert message in response.json()["password"]
    assert not User.objects.exists()


@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_register_requires_field(api_client, field):
    body = payload()
    del body[field]

    response = api_client.post(URL, body)

    assert response.status_code == 400
    assert response.json() == {field: ["This field is required."]}


def test_register_names_are_optional(api_client):
    body = payload()
    del body["first_name"], body["last_name"]

    assert api_client.post(URL, body).status_code == 201


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("username", "x" * 151),
        ("username", "bad name!"),
        ("email", "not-an-email"),
        ("email", "a" * 250 + "@example.com"),
        ("first_name", "x" * 151),
        ("password", "x" * 257),
    ],
)
def test_register_rejects_invalid_field(api_client, field, value):
    response = api_client.post(URL, payload(**{field: value}))

    assert response.status_code == 400
    assert field in response.json()
    assert not User.objects.exists()


def test_register_rejects_malformed_json(api_client):
    response = api_client.generic("POST", URL, '{"username": ', content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_register_rejects_deeply_nested_json(api_client):
    body = "[" * 50_000 + "]" * 50_000

    response = api_client.generic("POST", URL, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_register_rejects_non_object_json(api_client):
    response = api_client.generic("POST", URL, "[1, 2]", content_type="application/json")

    assert response.status_code == 400
    assert not User.objects.exists()


def test_register_rejects_unsupported_content_type(api_client):
    response = api_client.generic("POST", URL, "username=alice", content_type="text/plain")

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_register_get_is_method_not_allowed(api_client):
    response = api_client.get(URL)

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
