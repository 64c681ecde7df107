"""GET /user/sessions, DELETE /user/sessions/{id}, POST /user/logout-all."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts import jwt
from accounts.clients import Client
from accounts.models import EventType, SecurityEvent, Session, SessionEndReason
from accounts.tests.factories import UserFactory, event_record, pairs_among_sessions, token_pair

pytestmark = pytest.mark.django_db

LAPTOP = Client(ip_address="192.0.2.10", user_agent="Laptop/1.0")


def _bearer(api_client, pair):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    return api_client


def _session_id(pair):
    return jwt.read_refresh_token(pair["refresh_token"]).session_id


def _iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def _object(session, current):
    return {
        "id": session.pk,
        "created_at": _iso(session.created_at),
        "last_used_at": _iso(session.last_used_at),
        "expires_at": _iso(session.expires_at),
        "ip_address": session.ip_address,
        "user_agent": session.user_agent,
        "current": current,
    }


# --- GET /user/sessions ---------------------------------------------------------------


def test_list_shows_live_sessions_most_recently_used_first(api_client, user):
    older = token_pair(user, LAPTOP)
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        newer = _session_id(token_pair(user))
        response = _bearer(api_client, older).get("/user/sessions")

    assert response.status_code == 200
    first = Session.objects.get(pk=newer)
    second = Session.objects.get(pk=_session_id(older))
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [_object(first, current=False), _object(second, current=True)],
    }


def test_list_leaves_out_ended_and_expired_sessions_and_other_users(api_client, user, settings):
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    with time_machine.travel(timezone.now() - lifetime - timedelta(minutes=1)):
        token_pair(user)
    ended = token_pair(user)
    api_client.post("/user/logout", {"refresh_token": ended["refresh_token"]})
    token_pair(UserFactory())
    live = token_pair(user)

    body = _bearer(api_client, live).get("/user/sessions").json()

    assert [item["id"] for item in body["results"]] == [_session_id(live)]


def test_list_is_paginated_like_the_admin_list(api_client, user):
    pairs = [token_pair(user) for _ in range(3)]

    body = _bearer(api_client, pairs[0]).get("/user/sessions?page_size=2&page=2").json()

    assert body["count"] == 3
    assert body["next"] is None
    assert body["previous"] == "http://testserver/user/sessions?page_size=2"
    assert len(body["results"]) == 1


def test_list_page_past_the_end_is_404(api_client, user):
    response = _bearer(api_client, token_pair(user)).get("/user/sessions?page=9")

    assert response.status_code == 404


def test_list_shows_what_a_refresh_changed(api_client, user):
    pair = token_pair(user, LAPTOP)
    refreshed = api_client.post(
        "/user/token/refresh",
        {"refresh_token": pair["refresh_token"]},
        REMOTE_ADDR="198.51.100.4",
        HTTP_USER_AGENT="Phone/2.0",
    ).json()

    item = _bearer(api_client, refreshed).get("/user/sessions").json()["results"][0]

    assert (item["ip_address"], item["user_agent"], item["current"]) == (
        "198.51.100.4",
        "Phone/2.0",
        True,
    )


def test_list_needs_a_login(api_client, db):
    response = api_client.get("/user/sessions")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_list_runs_the_same_queries_whatever_the_number_of_sessions(
    api_client, user, django_assert_num_queries
):
    # Authentication; the page, with the count beside each row.
    for pair in pairs_among_sessions(user):
        with django_assert_num_queries(2):
            _bearer(api_client, pair).get("/user/sessions")


# --- DELETE /user/sessions/{id} -------------------------------------------------------


def test_delete_ends_that_session_at_once(api_client, user):
    mine = token_pair(user)
    other = token_pair(user)

    response = _bearer(api_client, mine).delete(f"/user/sessions/{_session_id(other)}")

    assert response.status_code == 200
    assert response.json() == {"msg": "Session ended."}
    assert Session.objects.get(pk=_session_id(other)).end_reason == SessionEndReason.ENDED
    refused = _bearer(api_client, other).get("/user/profile")
    assert refused.json()["code"] == "token_revoked"
    refresh = api_client.post("/user/token/refresh", {"refresh_token": other["refresh_token"]})
    assert refresh.status_code == 401
    assert _bearer(api_client, mine).get("/user/profile").status_code == 200


def test_delete_of_the_current_session_ends_it(api_client, user):
    pair = token_pair(user)
    client = _bearer(api_client, pair)

    assert client.delete(f"/user/sessions/{_session_id(pair)}/").status_code == 200
    assert client.get("/user/profile").status_code == 401


def test_delete_records_the_event_with_client_and_session(api_client, user):
    pair = token_pair(user)
    target = _session_id(token_pair(user))

    _bearer(api_client, pair).delete(
        f"/user/sessions/{target}", REMOTE_ADDR="198.51.100.8", HTTP_USER_AGENT="Laptop/1.0"
    )

    assert event_record(SecurityEvent.objects.get()) == (
        EventType.SESSION_ENDED,
        user.pk,
        None,
        target,
        "198.51.100.8",
        "Laptop/1.0",
    )


@pytest.mark.parametrize("whose", ["another user's", "unknown", "ended", "malformed"])
def test_delete_of_a_session_not_live_and_mine_is_404_and_changes_nothing(api_client, user, whose):
    other = token_pair(UserFactory())
    ended = token_pair(user)
    api_client.post("/user/logout", {"refresh_token": ended["refresh_token"]})
    session_id = {
        "another user's": _session_id(other),
        "unknown": "tZl1flsq5jET6W9diW2gZA",
        "ended": _session_id(ended),
        "malformed": "not%20an%00id",
    }[whose]
    before = list(Session.objects.values_list("pk", "ended_at"))
    events = SecurityEvent.objects.count()

    response = _bearer(api_client, token_pair(user)).delete(f"/user/sessions/{session_id}")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert set(before) <= set(Session.objects.values_list("pk", "ended_at"))
    assert SecurityEvent.objects.count() == events


def test_delete_of_another_users_session_says_not_found(api_client, user):
    other = _session_id(token_pair(UserFactory()))

    response = _bearer(api_client, token_pair(user)).delete(f"/user/sessions/{other}")

    assert response.json() == {"detail": "No Session matches the given query.", "code": "not_found"}


def test_delete_needs_a_login(api_client, user):
    response = api_client.delete(f"/user/sessions/{_session_id(token_pair(user))}")

    assert response.status_code == 401


# --- POST /user/logout-all ------------------------------------------------------------


def test_logout_all_ends_every_session_of_the_caller_only(api_client, user):
    mine = [token_pair(user) for _ in range(3)]
    someone_else = token_pair(UserFactory())

    response = _bearer(api_client, mine[0]).post("/user/logout-all")

    assert response.status_code == 200
    assert response.json() == {"msg": "Logged out of all sessions."}
    for pair in mine:
        assert _bearer(api_client, pair).get("/user/profile").status_code == 401
        refresh = api_client.post("/user/token/refresh", {"refresh_token": pair["refresh_token"]})
        assert refresh.status_code == 401
    assert _bearer(api_client, someone_else).get("/user/profile").status_code == 200
    reasons = set(Session.objects.filter(user=user).values_list("end_reason", flat=True))
    assert reasons == {SessionEndReason.LOGOUT_ALL}


def test_logout_all_records_one_event_naming_the_current_session(api_client, user):
    pair = token_pair(user)
    token_pair(user)

    _bearer(api_client, pair).post(
        "/user/logout-all", REMOTE_ADDR="198.51.100.8", HTTP_USER_AGENT="Laptop/1.0"
    )

    assert event_record(SecurityEvent.objects.get()) == (
        EventType.LOGOUT_ALL,
        user.pk,
        None,
        _session_id(pair),
        "198.51.100.8",
        "Laptop/1.0",
    )


def test_logout_all_runs_the_same_queries_whatever_the_number_of_sessions(
    api_client, user, django_assert_num_queries
):
    # Authentication; ending them (one UPDATE); the event; savepoint, release.
    for pair in pairs_among_sessions(user):
        with django_assert_num_queries(5):
            _bearer(api_client, pair).post("/user/logout-all")


def test_logout_all_needs_a_login(api_client, db):
    assert api_client.post("/user/logout-all").status_code == 401
