"""GET /api/user/{id}/sessions and POST /api/user/{id}/logout_all."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry

from accounts import jwt, policies
from accounts.models import EventType, Role, SecurityEvent, Session, SessionEndReason
from accounts.tests.api.test_admin_users import FORBIDDEN, MATRIX
from accounts.tests.factories import UserFactory, event_record, pairs_among_sessions, token_pair
from accounts.tests.test_policies import allowed

pytestmark = pytest.mark.django_db


def _session_id(pair):
    return jwt.read_refresh_token(pair["refresh_token"]).session_id


# --- GET /api/user/{id}/sessions ------------------------------------------------------


def test_admin_lists_a_users_live_sessions_none_current(admin_client_api, user):
    pairs = [token_pair(user) for _ in range(2)]
    ended = token_pair(user)
    admin_client_api.post("/user/logout", {"refresh_token": ended["refresh_token"]})

    response = admin_client_api.get(f"/api/user/{user.pk}/sessions")

    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["next"], body["previous"]) == (2, None, None)
    assert {item["id"] for item in body["results"]} == {_session_id(p) for p in pairs}
    assert {item["current"] for item in body["results"]} == {False}
    assert set(body["results"][0]) == {
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "ip_address",
        "user_agent",
        "current",
    }


def test_admin_sees_their_own_sessions_none_current(admin_client_api, admin_user):
    body = admin_client_api.get(f"/api/user/{admin_user.pk}/sessions/").json()

    assert body["count"] == 1
    assert body["results"][0]["current"] is False


def test_admin_session_list_is_paginated(admin_client_api, user):
    for _ in range(3):
        token_pair(user)

    body = admin_client_api.get(f"/api/user/{user.pk}/sessions?page_size=2").json()

    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"] == f"http://testserver/api/user/{user.pk}/sessions?page=2&page_size=2"


def test_admin_session_list_ignores_the_user_lists_filters(admin_client_api, user):
    token_pair(user)

    response = admin_client_api.get(f"/api/user/{user.pk}/sessions?role=nonsense&search=x")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_admin_session_list_of_an_unknown_user_is_404(admin_client_api, db):
    assert admin_client_api.get("/api/user/999999/sessions").status_code == 404


def test_a_user_cannot_list_sessions_of_others(user_client, user):
    other = UserFactory()

    response = user_client.get(f"/api/user/{other.pk}/sessions")

    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_admin_session_list_runs_the_same_queries_whatever_the_number_of_sessions(
    admin_client_api, user, django_assert_num_queries
):
    # Authentication; the page, with the count beside each row (its rows prove the user exists).
    for _pair in pairs_among_sessions(user):
        with django_assert_num_queries(2):
            admin_client_api.get(f"/api/user/{user.pk}/sessions")


def test_admin_session_list_without_sessions_reads_the_user(
    admin_client_api, user, django_assert_num_queries
):
    # Authentication; the page; the user, whom no row shows to exist.
    with django_assert_num_queries(3):
        response = admin_client_api.get(f"/api/user/{user.pk}/sessions")

    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_admin_session_list_of_an_id_beyond_any_account_is_404(admin_client_api, db):
    response = admin_client_api.get(f"/api/user/{2**70}/sessions")

    assert response.status_code == 404
    assert response.json() == {"detail": "No User matches the given query.", "code": "not_found"}


def test_admin_session_list_page_of_an_unknown_user_is_its_404(admin_client_api, db):
    response = admin_client_api.get("/api/user/999999/sessions?page=2")

    assert response.status_code == 404
    assert response.json() == {"detail": "No User matches the given query.", "code": "not_found"}


# --- POST /api/user/{id}/logout_all ---------------------------------------------------


def test_admin_logs_a_user_out_of_every_session(admin_client_api, client_for, user):
    pairs = [token_pair(user) for _ in range(2)]

    response = admin_client_api.post(f"/api/user/{user.pk}/logout_all")

    assert response.status_code == 200
    assert response.json() == {"msg": "User logged out of all sessions."}
    for pair in pairs:
        refresh = admin_client_api.post(
            "/user/token/refresh", {"refresh_token": pair["refresh_token"]}
        )
        assert refresh.status_code == 401
    assert not Session.objects.live().filter(user=user).exists()
    reasons = set(Session.objects.filter(user=user).values_list("end_reason", flat=True))
    assert reasons == {SessionEndReason.LOGOUT_ALL}
    assert admin_client_api.get("/user/profile").status_code == 200


def test_admin_logout_all_is_in_the_admin_history_and_the_events(
    admin_client_api, admin_user, user
):
    token_pair(user)

    admin_client_api.post(
        f"/api/user/{user.pk}/logout_all/", REMOTE_ADDR="198.51.100.8", HTTP_USER_AGENT="Ops/1"
    )

    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.object_id, entry.action_flag) == (
        admin_user.pk,
        str(user.pk),
        CHANGE,
    )
    assert entry.change_message == "Ended all sessions."
    assert [event_record(event) for event in SecurityEvent.objects.order_by("id")] == [
        (kind, user.pk, admin_user.pk, None, "198.51.100.8", "Ops/1")
        for kind in (EventType.LOGOUT_ALL, EventType.ADMIN_CHANGE)
    ]


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_logout_all_follows_the_update_rule(world, actor_kind, target_kind):
    client, _actor, target = world(actor_kind, target_kind)
    token_pair(target)

    response = client.post(f"/api/user/{target.pk}/logout_all")

    if allowed("can_update_user", actor_kind, target_kind):
        assert response.status_code == 200
        assert not Session.objects.live().filter(user=target).exists()
    else:
        assert response.status_code == 403
        assert response.json() == FORBIDDEN
        assert Session.objects.live().filter(user=target).exists()
        assert not LogEntry.objects.exists()
        assert not SecurityEvent.objects.exists()


def test_admin_logout_all_of_an_unknown_user_is_404(admin_client_api, db):
    assert admin_client_api.post("/api/user/999999/logout_all").status_code == 404


def test_admin_logout_all_runs_the_same_queries_whatever_the_number_of_sessions(
    admin_client_api, user, django_assert_num_queries
):
    # Authentication; the user; the locking read; ending them (one UPDATE);
    # the event; the history entry and its admin_change event; savepoint, release.
    for _pair in pairs_among_sessions(user):
        with django_assert_num_queries(9):
            admin_client_api.post(f"/api/user/{user.pk}/logout_all")


def test_a_rule_that_reads_the_account_gets_it_read(
    admin_client_api, admin_user, user, monkeypatch
):
    monkeypatch.setattr(policies, "can_view_user", lambda actor, target: target.role == Role.USER)
    token_pair(user)

    assert admin_client_api.get(f"/api/user/{user.pk}/sessions").status_code == 200
    assert admin_client_api.get(f"/api/user/{admin_user.pk}/sessions").status_code == 403
    assert admin_client_api.get("/api/user/999999/sessions").status_code == 404
