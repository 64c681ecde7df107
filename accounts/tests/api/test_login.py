import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = "/user/login"
FAILURE = {"detail": "Invalid username or password.", "code": "invalid_credentials"}


def test_login_returns_token_pair(api_client, user, settings):
    response = api_client.post(URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    assert AccessToken(body["access_token"])["user_id"] == str(user.pk)


def test_login_access_token_authenticates_profile(api_client, user):
    tokens = api_client.post(URL, {"username": user.username, "password": PASSWORD}).json()

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")

    assert api_client.get("/user/profile").json()["username"] == user.username


def test_login_is_case_insensitive_on_username(api_client):
    UserFactory(username="alice")

    response = api_client.post(URL, {"username": "ALICE", "password": PASSWORD})

    assert response.status_code == 200


def test_login_updates_last_login(api_client, user):
    api_client.post(URL, {"username": user.username, "password": PASSWORD})

    user.refresh_from_db()
    assert user.last_login is not None


@pytest.mark.parametrize(
    ("username", "password", "active"),
    [
        ("user-login", "Wrong-Password-1", True),  # wrong password
        ("nobody", PASSWORD, True),  # unknown user
        ("user-login", PASSWORD, False),  # inactive user
    ],
    ids=["wrong-password", "unknown-user", "inactive-user"],
)
def test_login_failures_are_identical_401(api_client, username, password, active):
    UserFactory(username="user-login", is_active=active)

    response = api_client.post(URL, {"username": username, "password": password})

    assert response.status_code == 401
    assert response.json() == FAILURE
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_login_unknown_user_still_runs_the_hasher(api_client, db, settings):
    """ModelBackend hashes a dummy password so timing does not reveal accounts."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    CountingHasher.calls = 0

    api_client.post(URL, {"username": "nobody", "password": PASSWORD})

    assert CountingHasher.calls == 1


@pytest.mark.parametrize("field", ["username", "password"])
def test_login_requires_field(api_client, field):
    body = {"username": "alice", "password": PASSWORD}
    del body[field]

    response = api_client.post(URL, body)

    assert response.status_code == 400
    assert response.json() == {field: ["This field is required."]}


@pytest.fixture
def no_lockout(settings):
    """Let failures run past the lockout threshold: only the throttle is under test."""
    settings.LOGIN_LOCKOUT_THRESHOLD = 1000


@pytest.mark.usefixtures("no_lockout")
def test_login_throttles_failed_attempts_per_username(api_client, user):
    for _ in range(10):
        assert api_client.post(URL, {"username": user.username, "password": "x"}).status_code == 401

    response = api_client.post(URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


@pytest.mark.usefixtures("no_lockout")
def test_login_failure_throttle_ignores_case_of_username(api_client, user):
    for _ in range(10):
        api_client.post(URL, {"username": user.username.upper(), "password": "x"})

    response = api_client.post(URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 429


def test_login_successes_do_not_count_towards_failure_throttle(api_client, user):
    for _ in range(12):
        response = api_client.post(URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200


@pytest.mark.usefixtures("no_lockout")
def test_login_failure_throttle_is_per_username(api_client, user):
    for _ in range(10):
        api_client.post(URL, {"username": "someone-else", "password": "x"})

    response = api_client.post(URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 200


def test_login_throttles_per_address(api_client, user, monkeypatch):
    rates = {**SimpleRateThrottle.THROTTLE_RATES, "login": "3/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    for _ in range(3):
        api_client.post(URL, {"username": user.username, "password": PASSWORD})

    response = api_client.post(URL, {"username": user.username, "password": PASSWORD})

    assert response.status_code == 429


class CountingHasher(MD5PasswordHasher):
    """MD5, counting each hash computed."""

    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)
