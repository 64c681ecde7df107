"""POST /user/delete-account and GET /user/export."""

import pytest

from accounts import events, jwt
from accounts.models import EventType, LoginFailureStreak, Session, User
from accounts.tests.factories import PASSWORD, SuperuserFactory, UserFactory, token_pair

pytestmark = pytest.mark.django_db

DELETE = "/user/delete-account"
WRONG = {"current_password": ["Your current password was entered incorrectly."]}


def test_delete_account_deletes_it_and_ends_every_token(api_client, user, client_for):
    pair = token_pair(user)
    caller = client_for(user)

    response = caller.post(DELETE, {"current_password": PASSWORD})

    assert (response.status_code, response.json()) == (200, {"msg": "Account deleted."})
    assert not User.objects.filter(pk=user.pk).exists()
    assert not Session.objects.exists()
    assert caller.get("/user/profile").status_code == 401
    refresh = api_client.post("/user/token/refresh", {"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401


def test_deleted_username_and_email_are_free_again(api_client, user_client, user):
    user_client.post(DELETE, {"current_password": PASSWORD})

    response = api_client.post(
        "/user/register",
        {"username": user.username, "email": user.email, "password": "Brand-New-Horse-77"},
    )

    assert response.status_code == 201


def test_delete_account_leaves_no_failed_login_streak(api_client, user_client, user):
    api_client.post("/user/login", {"username": user.username, "password": "wrong"})

    user_client.post(DELETE, {"current_password": PASSWORD})

    assert not LoginFailureStreak.objects.exists()


def test_wrong_password_is_400_and_deletes_nothing(user_client, user):
    response = user_client.post(DELETE, {"current_password": "wrong"})

    assert (response.status_code, response.json()) == (400, WRONG)
    assert User.objects.filter(pk=user.pk).exists()


def test_missing_password_is_400(user_client):
    response = user_client.post(DELETE, {})

    assert (response.status_code, response.json()) == (
        400,
        {"current_password": ["This field is required."]},
    )


def test_the_last_active_admin_cannot_delete_their_account(client_for):
    owner = SuperuserFactory()

    response = client_for(owner).post(DELETE, {"current_password": PASSWORD})

    assert (response.status_code, response.json()) == (
        409,
        {
            "detail": "This would leave no active admin; make another user admin first.",
            "code": "last_active_admin",
        },
    )
    assert User.objects.filter(pk=owner.pk).exists()


def test_an_admin_may_delete_their_account_while_another_admin_remains(client_for):
    first, _second = SuperuserFactory(), SuperuserFactory()

    response = client_for(first).post(DELETE, {"current_password": PASSWORD})

    assert response.status_code == 200


def test_delete_account_needs_a_login(api_client):
    assert api_client.post(DELETE, {"current_password": PASSWORD}).status_code == 401


def test_delete_account_is_throttled(user_client, settings, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**SimpleRateThrottle.THROTTLE_RATES, "delete_account": "2/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    for _ in range(2):
        user_client.post(DELETE, {"current_password": "wrong"})

    assert user_client.post(DELETE, {"current_password": PASSWORD}).status_code == 429


# --- GET /user/export ------------------------------------------------------------------


def test_export_holds_the_user_its_live_sessions_and_events(api_client, user):
    pair = api_client.post("/user/login", {"username": user.username, "password": PASSWORD}).json()
    event = events.record(EventType.PASSWORD_CHANGED, user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")

    response = api_client.get("/user/export")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"user", "sessions", "events"}
    assert body["user"] == api_client.get("/user/profile").json()
    session_id = jwt.read_refresh_token(pair["refresh_token"]).session_id
    assert [(s["id"], s["current"]) for s in body["sessions"]] == [(session_id, True)]
    assert body["events"][0]["id"] == event.pk
    assert {e["type"] for e in body["events"]} == {"login", "password_changed"}


def test_export_holds_no_password_or_token(api_client, user):
    pair = api_client.post("/user/login", {"username": user.username, "password": PASSWORD}).json()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")

    text = api_client.get("/user/export").content.decode()

    user.refresh_from_db()
    for secret in (PASSWORD, user.password, pair["access_token"], pair["refresh_token"]):
        assert secret not in text


def test_export_shows_only_the_callers_data(user_client, user):
    other = UserFactory()
    events.record(EventType.LOGIN, user=other)
    token_pair(other)

    body = user_client.get("/user/export").json()

    assert set(Session.objects.filter(user=user).values_list("id", flat=True)) == {
        session["id"] for session in body["sessions"]
    }
    assert body["events"] == []


def test_export_needs_a_login(api_client):
    assert api_client.get("/user/export").status_code == 401
