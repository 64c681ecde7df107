import pytest

from accounts.models import EventType, SecurityEvent, Session, SessionEndReason
from accounts.tests.factories import event_record, pairs_among_sessions, token_pair

pytestmark = pytest.mark.django_db

URL = "/user/logout"


def test_logout_answers_message(api_client, user):
    pair = token_pair(user)

    response = api_client.post(URL, {"refresh_token": pair["refresh_token"]})

    assert response.status_code == 200
    assert response.json() == {"msg": "Logged out."}


def test_logout_ends_the_refresh_token(api_client, user):
    pair = token_pair(user)
    api_client.post(URL, {"refresh_token": pair["refresh_token"]})

    response = api_client.post("/user/token/refresh", {"refresh_token": pair["refresh_token"]})

    assert response.status_code == 401


def test_logout_ends_access_tokens_issued_with_it(api_client, user):
    pair = token_pair(user)
    api_client.post(URL, {"refresh_token": pair["refresh_token"]})

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}")
    response = api_client.get("/user/profile")

    assert response.status_code == 401
    assert response.json()["code"] == "token_revoked"


def test_logout_leaves_other_sessions_alive(api_client, user):
    session_a = token_pair(user)
    session_b = token_pair(user)
    api_client.post(URL, {"refresh_token": session_a["refresh_token"]})

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {session_b['access_token']}")

    assert api_client.get("/user/profile").status_code == 200


def test_logout_twice_is_401(api_client, user):
    pair = token_pair(user)
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


def test_logout_records_the_event_with_client_and_session(api_client, user):
    pair = token_pair(user)

    api_client.post(
        URL,
        {"refresh_token": pair["refresh_token"]},
        REMOTE_ADDR="198.51.100.8",
        HTTP_USER_AGENT="Laptop/1.0",
    )

    assert event_record(SecurityEvent.objects.get()) == (
        EventType.LOGOUT,
        user.pk,
        None,
        Session.objects.get().pk,
        "198.51.100.8",
        "Laptop/1.0",
    )


def test_logout_ends_every_access_token_of_the_session(api_client, user):
    first = token_pair(user)
    second = api_client.post("/user/token/refresh", {"refresh_token": first["refresh_token"]})

    api_client.post(URL, {"refresh_token": second.json()["refresh_token"]})

    for access in (first["access_token"], second.json()["access_token"]):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
        assert api_client.get("/user/profile").json()["code"] == "token_revoked"
    assert Session.objects.get().end_reason == SessionEndReason.LOGOUT


def test_logout_with_a_spent_refresh_token_ends_the_session_as_reuse(api_client, user):
    first = token_pair(user)
    second = api_client.post("/user/token/refresh", {"refresh_token": first["refresh_token"]})

    response = api_client.post(URL, {"refresh_token": first["refresh_token"]})

    assert response.status_code == 401
    assert response.json() == {"detail": "Token is invalid or expired.", "code": "token_not_valid"}
    assert Session.objects.get().end_reason == SessionEndReason.TOKEN_REUSE
    assert SecurityEvent.objects.get().type == EventType.TOKEN_REUSE
    refresh = {"refresh_token": second.json()["refresh_token"]}
    assert api_client.post("/user/token/refresh", refresh).status_code == 401


def test_logout_runs_the_same_queries_whatever_the_number_of_sessions(
    api_client, user, django_assert_num_queries
):
    # The session with its user; the compare-and-set UPDATE; the event; savepoints.
    for pair in pairs_among_sessions(user):
        with django_assert_num_queries(5):
            assert api_client.post(URL, {"refresh_token": pair["refresh_token"]}).status_code == 200
