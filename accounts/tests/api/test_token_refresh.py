import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import time_machine
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import jwt, services
from accounts.models import EventType, SecurityEvent, Session, SessionEndReason
from accounts.tests.factories import PASSWORD, event_record, pairs_among_sessions, token_pair

pytestmark = pytest.mark.django_db

URL = "/user/token/refresh"


def refresh(api_client, token):
    return api_client.post(URL, {"refresh_token": token})


def test_refresh_returns_new_pair(api_client, user):
    pair = token_pair(user)

    response = refresh(api_client, pair["refresh_token"])

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["refresh_token"] != pair["refresh_token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access_token']}")
    assert api_client.get("/user/profile").status_code == 200


def test_refresh_token_cannot_be_used_twice(api_client, user):
    pair = token_pair(user)
    refresh(api_client, pair["refresh_token"])

    response = refresh(api_client, pair["refresh_token"])

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "token_not_valid"


def test_refresh_rejects_access_token(api_client, user):
    response = refresh(api_client, token_pair(user)["access_token"])

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
    pair = token_pair(user)
    user.delete()

    assert refresh(api_client, pair["refresh_token"]).status_code == 401


def test_refresh_of_inactive_user_is_401(api_client, user):
    pair = token_pair(user)
    services.user_update(user=user, is_active=False)

    assert refresh(api_client, pair["refresh_token"]).status_code == 401


def test_refresh_token_dies_when_password_changes(api_client, user):
    pair = token_pair(user)
    services.user_change_password(user=user, password="Another-Horse-43")

    assert refresh(api_client, pair["refresh_token"]).status_code == 401


def test_refresh_token_expires(api_client, user, settings):
    pair = token_pair(user)
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]

    with time_machine.travel(timezone.now() + lifetime + timezone.timedelta(seconds=1)):
        response = refresh(api_client, pair["refresh_token"])

    assert response.status_code == 401


def test_refresh_keeps_password_unchanged(api_client, user):
    refresh(api_client, token_pair(user)["refresh_token"])

    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def _bearer(api_client, access):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return api_client.get("/user/profile")


def test_refresh_stays_in_the_same_session(api_client, user):
    pair = token_pair(user)

    body = refresh(api_client, pair["refresh_token"]).json()

    session = Session.objects.get()
    assert jwt.read_refresh_token(body["refresh_token"]).session_id == session.pk
    assert jwt.SessionAccessToken(body["access_token"]).session_id == session.pk


def test_refresh_records_the_client_in_the_session(api_client, user):
    pair = token_pair(user)

    api_client.post(
        URL,
        {"refresh_token": pair["refresh_token"]},
        REMOTE_ADDR="198.51.100.4",
        HTTP_USER_AGENT="x" * 300,
    )

    session = Session.objects.get()
    assert (session.ip_address, session.user_agent) == ("198.51.100.4", "x" * 256)


def test_refresh_leaves_earlier_access_tokens_of_the_session_working(api_client, user):
    pair = token_pair(user)

    refresh(api_client, pair["refresh_token"])

    assert _bearer(api_client, pair["access_token"]).status_code == 200


def test_a_spent_refresh_token_ends_the_whole_session(api_client, user):
    first = token_pair(user)
    second = refresh(api_client, first["refresh_token"]).json()

    response = refresh(api_client, first["refresh_token"])

    assert response.status_code == 401
    assert response.json() == {"detail": "Token is invalid or expired.", "code": "token_not_valid"}
    assert Session.objects.get().end_reason == SessionEndReason.TOKEN_REUSE
    for access in (first["access_token"], second["access_token"]):
        assert _bearer(api_client, access).json()["code"] == "token_revoked"
    assert refresh(api_client, second["refresh_token"]).status_code == 401


def test_a_spent_refresh_token_leaves_the_users_other_sessions_alone(api_client, user):
    other = token_pair(user)
    first = token_pair(user)
    refresh(api_client, first["refresh_token"])

    refresh(api_client, first["refresh_token"])

    assert _bearer(api_client, other["access_token"]).status_code == 200
    assert refresh(api_client, other["refresh_token"]).status_code == 200


def test_reuse_is_recorded_with_the_client_and_session(api_client, user):
    first = token_pair(user)
    refresh(api_client, first["refresh_token"])

    api_client.post(
        URL,
        {"refresh_token": first["refresh_token"]},
        REMOTE_ADDR="203.0.113.9",
        HTTP_USER_AGENT="Thief/1.0",
    )

    assert event_record(SecurityEvent.objects.get()) == (
        EventType.TOKEN_REUSE,
        user.pk,
        None,
        Session.objects.get().pk,
        "203.0.113.9",
        "Thief/1.0",
    )


def test_reuse_is_recorded_once(api_client, user):
    first = token_pair(user)
    refresh(api_client, first["refresh_token"])

    refresh(api_client, first["refresh_token"])
    refresh(api_client, first["refresh_token"])

    assert SecurityEvent.objects.filter(type=EventType.TOKEN_REUSE).count() == 1


def test_refresh_runs_the_same_queries_whatever_the_number_of_sessions(
    api_client, user, django_assert_num_queries
):
    # The session with its user; the compare-and-set UPDATE; savepoint, release.
    for pair in pairs_among_sessions(user):
        with django_assert_num_queries(4):
            assert refresh(api_client, pair["refresh_token"]).status_code == 200


def test_reuse_runs_the_same_queries_whatever_the_number_of_sessions(
    api_client, user, django_assert_num_queries
):
    # The session; the failed compare-and-set; ending it; the event; savepoints.
    for pair in pairs_among_sessions(user):
        refresh(api_client, pair["refresh_token"])
        with django_assert_num_queries(6):
            assert refresh(api_client, pair["refresh_token"]).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_racing_refreshes_with_one_token_let_one_win_then_end_the_session(user):
    """Two clients hold copies of one refresh token and present it at the same moment.

    Exactly one gets the next pair; the other presents a spent token, which
    ends the session (the winner's new pair included), and nobody gets a 5xx.
    Runs on both databases: PostgreSQL with row-level waits, SQLite with one
    writer at a time.
    """
    raw = token_pair(user)["refresh_token"]
    racers = 4
    start = threading.Barrier(racers)

    def attempt(_):
        try:
            start.wait(5)
            return APIClient().post(URL, {"refresh_token": raw})
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=racers) as pool:
        responses = list(pool.map(attempt, range(racers)))

    assert sorted(r.status_code for r in responses) == [200] + [401] * (racers - 1)
    session = Session.objects.get()
    assert session.end_reason == SessionEndReason.TOKEN_REUSE
    winner = next(r.json() for r in responses if r.status_code == 200)
    assert APIClient().post(URL, {"refresh_token": winner["refresh_token"]}).status_code == 401
    assert SecurityEvent.objects.filter(type=EventType.TOKEN_REUSE).count() == 1
