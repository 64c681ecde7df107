"""GET /user/events and GET /api/user/{id}/events, and the events the flows record."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts import events, jwt, policies
from accounts.clients import Client
from accounts.models import EventType, Role, SecurityEvent
from accounts.tests.api.test_admin_users import FORBIDDEN
from accounts.tests.factories import PASSWORD, AdminFactory, UserFactory

pytestmark = pytest.mark.django_db

LAPTOP = {"REMOTE_ADDR": "198.51.100.8", "HTTP_USER_AGENT": "Laptop/1.0"}


def iso(value):
    return value.isoformat().replace("+00:00", "Z")


def event_object(event):
    return {
        "id": event.pk,
        "type": event.type,
        "created_at": iso(event.created_at),
        "ip_address": event.ip_address,
        "user_agent": event.user_agent,
        "session_id": event.session_id,
        "actor_id": event.actor_id,
    }


def test_user_events_are_the_callers_newest_first(user_client, user):
    older = events.record(EventType.LOGIN, user=user, client=Client("203.0.113.7", "curl/8"))
    newer = events.record(EventType.PASSWORD_CHANGED, user=user)
    events.record(EventType.LOGIN, user=UserFactory())  # someone else's

    response = user_client.get("/user/events")

    assert response.status_code == 200
    assert response.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [event_object(newer), event_object(older)],
    }


def test_user_events_filter_by_type(user_client, user):
    events.record(EventType.LOGIN, user=user)
    changed = events.record(EventType.PASSWORD_CHANGED, user=user)

    response = user_client.get("/user/events/?type=password_changed")

    assert response.json()["results"] == [event_object(changed)]


def test_unknown_event_type_is_400(user_client):
    response = user_client.get("/user/events?type=nonsense")

    assert response.status_code == 400
    assert response.json() == {
        "type": ["Select a valid choice. nonsense is not one of the available choices."]
    }


def test_user_events_are_paginated(user_client, user):
    for _ in range(3):
        events.record(EventType.LOGIN, user=user)

    body = user_client.get("/user/events?page_size=2").json()

    assert (body["count"], len(body["results"])) == (3, 2)
    assert body["next"].endswith("page=2&page_size=2")


def test_user_events_need_a_login(api_client):
    assert api_client.get("/user/events").status_code == 401


def test_user_events_run_a_fixed_number_of_queries(user_client, user, django_assert_num_queries):
    for count in (1, 10):
        for _ in range(count):
            events.record(EventType.LOGIN, user=user)
        # Authentication; the page, with the count beside each row.
        with django_assert_num_queries(2):
            user_client.get("/user/events")


def test_admin_reads_an_accounts_events(admin_client_api, user):
    event = events.record(EventType.LOGIN, user=user)

    response = admin_client_api.get(f"/api/user/{user.pk}/events")

    assert response.status_code == 200
    assert response.json()["results"] == [event_object(event)]


def test_admin_events_of_an_unknown_user_is_404(admin_client_api):
    assert admin_client_api.get("/api/user/999999/events").status_code == 404


def test_admin_events_page_of_an_unknown_user_is_its_404(admin_client_api):
    response = admin_client_api.get("/api/user/999999/events?page=3")

    assert response.status_code == 404
    assert response.json() == {"detail": "No User matches the given query.", "code": "not_found"}


def test_admin_events_run_a_fixed_number_of_queries(
    admin_client_api, user, django_assert_num_queries
):
    for count in (1, 10):
        for _ in range(count):
            events.record(EventType.LOGIN, user=user)
        # Authentication; the page, with the count beside each row (its rows prove the user).
        with django_assert_num_queries(2):
            admin_client_api.get(f"/api/user/{user.pk}/events")


def test_admin_events_without_events_read_the_user(
    admin_client_api, user, django_assert_num_queries
):
    with django_assert_num_queries(3):
        response = admin_client_api.get(f"/api/user/{user.pk}/events?type=login")

    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_admin_events_are_for_admins_only(user_client, user):
    response = user_client.get(f"/api/user/{user.pk}/events")

    assert (response.status_code, response.json()) == (403, FORBIDDEN)


def test_admin_events_filter_by_type_and_refuse_unknown_types(admin_client_api, user):
    events.record(EventType.LOGIN, user=user)

    assert admin_client_api.get(f"/api/user/{user.pk}/events?type=locked").json()["count"] == 0
    assert admin_client_api.get(f"/api/user/{user.pk}/events?type=x").status_code == 400


# --- What the flows record -------------------------------------------------------------


def test_login_is_recorded_with_client_and_session(api_client, user):
    pair = api_client.post(
        "/user/login", {"username": user.username, "password": PASSWORD}, **LAPTOP
    ).json()

    event = SecurityEvent.objects.get()
    session_id = jwt.read_refresh_token(pair["refresh_token"]).session_id
    assert (event.type, event.user, event.actor, event.session_id) == (
        EventType.LOGIN,
        user,
        None,
        session_id,
    )
    assert (event.ip_address, event.user_agent) == ("198.51.100.8", "Laptop/1.0")


def test_wrong_password_is_recorded_as_login_failed(api_client, user):
    api_client.post("/user/login", {"username": user.username, "password": "wrong"}, **LAPTOP)

    event = SecurityEvent.objects.get()
    assert (event.type, event.session_id, event.ip_address) == (
        EventType.LOGIN_FAILED,
        None,
        "198.51.100.8",
    )


def test_password_change_is_recorded(user_client, user):
    user_client.post(
        "/user/change-password",
        {"current_password": PASSWORD, "new_password": "Brand-New-Horse-77"},
        **LAPTOP,
    )

    event = SecurityEvent.objects.get()
    assert (event.type, event.actor, event.user_agent) == (
        EventType.PASSWORD_CHANGED,
        None,
        "Laptop/1.0",
    )


def test_password_reset_is_recorded(api_client, user):
    from accounts import tokens

    api_client.post(
        f"/user/reset-password/{tokens.make_reset_token(user)}",
        {"new_password": "Brand-New-Horse-77"},
        **LAPTOP,
    )

    event = SecurityEvent.objects.get()
    assert (event.type, event.user, event.ip_address) == (
        EventType.PASSWORD_RESET,
        user,
        "198.51.100.8",
    )


def test_an_admins_change_is_recorded_as_admin_change(admin_client_api, admin_user, user):
    admin_client_api.patch(f"/api/user/{user.pk}", {"first_name": "New"})
    admin_client_api.put(f"/api/user/{user.pk}/make_admin")

    recorded = SecurityEvent.objects.filter(user=user).values_list("type", "actor_id")
    assert list(recorded) == [(EventType.ADMIN_CHANGE, admin_user.pk)] * 2


def test_a_refused_admin_change_records_nothing(client_for, user):
    other_admin = AdminFactory()

    client_for(AdminFactory()).patch(f"/api/user/{other_admin.pk}", {"first_name": "X"})

    assert not SecurityEvent.objects.exists()


def test_events_never_carry_a_password_or_token(api_client, user):
    api_client.post("/user/login", {"username": user.username, "password": PASSWORD})
    api_client.post("/user/login", {"username": user.username, "password": "wrong-Secret-1"})

    stored = str(list(SecurityEvent.objects.values()))
    assert PASSWORD not in stored
    assert "wrong-Secret-1" not in stored


def test_prune_command_deletes_old_events(user, settings):
    settings.SECURITY_EVENT_RETENTION_DAYS = 90
    old = events.record(EventType.LOGIN, user=user)
    SecurityEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    kept = events.record(EventType.LOGIN, user=user)

    call_command("prune", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert list(SecurityEvent.objects.values_list("pk", flat=True)) == [kept.pk]


def test_admin_events_of_an_id_beyond_any_account_is_404(admin_client_api):
    response = admin_client_api.get(f"/api/user/{2**70}/events")

    assert response.status_code == 404
    assert response.json() == {"detail": "No User matches the given query.", "code": "not_found"}


def test_a_rule_that_reads_the_account_gets_it_read(
    admin_client_api, admin_user, user, monkeypatch
):
    monkeypatch.setattr(policies, "can_view_user", lambda actor, target: target.role == Role.USER)
    events.record(EventType.LOGIN, user=user)

    assert admin_client_api.get(f"/api/user/{user.pk}/events").status_code == 200
    assert admin_client_api.get(f"/api/user/{admin_user.pk}/events").status_code == 403
    assert admin_client_api.get("/api/user/999999/events").status_code == 404
