"""Lockout of a username after failed logins: thresholds, escalation, expiry, unlock."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connections

from accounts import lockout
from accounts.models import EventType, LoginFailureStreak, SecurityEvent
from accounts.tests.api.test_admin_users import FORBIDDEN
from accounts.tests.factories import PASSWORD, AdminFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/user/login"
START = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


def locked_body(seconds):
    return {
        "detail": "Too many failed logins for this username; try again later. "
        f"Expected available in {seconds} second{'s' if seconds != 1 else ''}.",
        "code": "account_locked",
    }


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def fail(api_client, username, times=5):
    statuses = [
        api_client.post(URL, {"username": username, "password": "wrong"}).status_code
        for _ in range(times)
    ]
    assert statuses == [401] * times
    return statuses


def login(api_client, username, password=PASSWORD):
    return api_client.post(URL, {"username": username, "password": password})


def assert_locked(response, seconds):
    assert response.status_code == 429
    assert response.json() == locked_body(seconds)
    assert response["Retry-After"] == str(seconds)


def test_fifth_failure_in_a_row_locks_the_username_the_right_password_too(api_client, user, clock):
    fail(api_client, user.username)

    assert_locked(login(api_client, user.username), 60)


def test_four_failures_do_not_lock(api_client, user, clock):
    fail(api_client, user.username, times=4)

    assert login(api_client, user.username).status_code == 200


def test_unknown_username_is_locked_with_the_same_answer(api_client, user, clock):
    fail(api_client, "nobody-here")
    fail(api_client, user.username)

    unknown, known = login(api_client, "nobody-here"), login(api_client, user.username)

    assert_locked(unknown, 60)
    assert (unknown.json(), unknown["Retry-After"]) == (known.json(), known["Retry-After"])


@pytest.mark.parametrize(
    "spelling", ["ALICE", "Alice", "\uff41lice"], ids=["upper", "mixed", "fullwidth"]
)
def test_lock_counts_the_username_as_login_normalizes_it(api_client, clock, spelling):
    UserFactory(username="alice")
    fail(api_client, spelling)

    assert_locked(login(api_client, "alice"), 60)


def test_retry_after_counts_down_in_whole_seconds_rounded_up(api_client, user, clock):
    fail(api_client, user.username)
    clock.shift(20.5)

    assert_locked(login(api_client, user.username), 40)


def test_lock_ends_after_login_lockout_seconds(api_client, user, clock):
    fail(api_client, user.username)
    clock.shift(60)

    assert login(api_client, user.username).status_code == 200


def test_each_further_lock_in_the_streak_doubles_up_to_the_maximum(api_client, user, clock):
    for seconds in (60, 120, 240, 480, 900, 900):
        fail(api_client, user.username)
        assert_locked(login(api_client, user.username), seconds)
        clock.shift(seconds)


def test_lock_settings_are_read_when_they_apply(api_client, user, clock, settings):
    settings.LOGIN_LOCKOUT_THRESHOLD = 2
    settings.LOGIN_LOCKOUT_SECONDS = 10
    settings.LOGIN_LOCKOUT_MAX_SECONDS = 15
    for seconds in (10, 15):
        fail(api_client, user.username, times=2)
        assert_locked(login(api_client, user.username), seconds)
        clock.shift(seconds)


def test_streak_ends_after_failure_reset_seconds_without_a_failure(api_client, user, clock):
    fail(api_client, user.username)
    clock.shift(60)
    fail(api_client, user.username, times=4)
    clock.shift(43200)
    fail(api_client, user.username, times=4)  # a new streak: four are not five

    fail(api_client, user.username, times=1)
    assert_locked(login(api_client, user.username), 60)  # the first lock again, not 120


def test_a_failure_within_the_reset_time_keeps_the_streak(api_client, user, clock):
    fail(api_client, user.username)
    clock.shift(43199)

    fail(api_client, user.username)
    assert_locked(login(api_client, user.username), 120)


def test_successful_login_ends_the_streak(api_client, user, clock):
    fail(api_client, user.username)
    clock.shift(60)
    assert login(api_client, user.username).status_code == 200

    fail(api_client, user.username)
    assert_locked(login(api_client, user.username), 60)
    assert LoginFailureStreak.objects.get().locks == 1


def test_failures_while_locked_do_not_extend_the_lock(api_client, user, clock):
    fail(api_client, user.username)
    for _ in range(3):
        assert_locked(login(api_client, user.username, "wrong"), 60)

    clock.shift(60)
    assert login(api_client, user.username).status_code == 200


def test_a_lock_runs_no_password_hash(api_client, user, clock, settings):
    from accounts.tests.api.test_login import CountingHasher

    fail(api_client, user.username)
    fail(api_client, "nobody-here")
    settings.PASSWORD_HASHERS = ["accounts.tests.api.test_login.CountingHasher"]
    CountingHasher.calls = 0

    login(api_client, user.username)
    login(api_client, "nobody-here")

    assert CountingHasher.calls == 0


def test_a_lock_costs_the_same_queries_for_known_and_unknown_usernames(
    api_client, user, clock, django_assert_num_queries
):
    fail(api_client, user.username)
    fail(api_client, "nobody-here")

    for username in (user.username, "nobody-here"):
        with django_assert_num_queries(1):
            assert login(api_client, username).status_code == 429


def test_failed_logins_cost_the_same_queries_for_known_and_unknown_usernames(
    api_client, user, django_assert_num_queries
):
    # The user lookup (authenticate), the account lookup, the streak (read,
    # write), the events only for a known account, in a savepoint.
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for username in (user.username, "nobody-here"):
        with CaptureQueriesContext(connections["default"]) as queries:
            login(api_client, username, "wrong")
        counts[username] = [q["sql"].split()[0] for q in queries.captured_queries]
    known, unknown = counts[user.username], counts["nobody-here"]
    assert [q for q in known if not q.startswith("INSERT")] == [
        q for q in unknown if not q.startswith("INSERT")
    ]


def test_the_streak_table_holds_no_username(api_client, clock):
    fail(api_client, "Secret-Password-typed-here", times=1)

    row = LoginFailureStreak.objects.values().get()
    assert "secret" not in str(row).lower()
    assert row["key"] == lockout.username_key("secret-password-TYPED-here")


def test_password_reset_ends_the_lock(api_client, user, clock):
    from accounts import services, tokens

    fail(api_client, user.username)
    token = tokens.make_reset_token(user)
    services.password_reset_complete(token=token, password="Brand-New-Horse-77")

    assert login(api_client, user.username, "Brand-New-Horse-77").status_code == 200


# --- Events ----------------------------------------------------------------------------


def test_failures_of_an_existing_account_are_events_and_one_lock(api_client, user, clock):
    fail(api_client, user.username, times=5)
    login(api_client, user.username)  # refused while locked: no event

    types = list(SecurityEvent.objects.order_by("id").values_list("type", flat=True))
    assert types == [EventType.LOGIN_FAILED] * 5 + [EventType.LOCKED]


def test_unknown_usernames_leave_no_events(api_client, clock):
    fail(api_client, "nobody-here")

    assert not SecurityEvent.objects.exists()


# --- Concurrency -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_failures_lock_exactly_once_and_never_fail(user):
    from rest_framework.test import APIClient

    barrier, statuses = threading.Barrier(20), []

    def attempt():
        try:
            barrier.wait(10)
            statuses.append(login(APIClient(), user.username, "wrong").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(statuses) == 20
    assert set(statuses) <= {401, 429}
    assert SecurityEvent.objects.filter(type=EventType.LOCKED).count() == 1
    streak = LoginFailureStreak.objects.get()
    assert (streak.locks, streak.failures) == (1, 0)
    assert login(APIClient(), user.username).status_code == 429


# --- POST /api/user/{id}/unlock and locked_until ---------------------------------------


def test_admin_unlock_ends_the_lock_and_is_recorded(api_client, client_for, admin_user, user):
    with time_machine.travel(START, tick=False):
        admin_client_api = client_for(admin_user)  # a token of the travelled time
        fail(api_client, user.username)

        response = admin_client_api.post(
            f"/api/user/{user.pk}/unlock", REMOTE_ADDR="198.51.100.8", HTTP_USER_AGENT="Ops/1"
        )

        assert (response.status_code, response.json()) == (200, {"msg": "Account unlocked."})
        assert login(api_client, user.username).status_code == 200
    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.object_id, entry.action_flag, entry.change_message) == (
        admin_user.pk,
        str(user.pk),
        CHANGE,
        "Unlocked after failed logins.",
    )
    unlocked = SecurityEvent.objects.get(type=EventType.UNLOCKED)
    assert (unlocked.actor, unlocked.ip_address, unlocked.user_agent) == (
        admin_user,
        "198.51.100.8",
        "Ops/1",
    )


def test_unlock_of_an_account_not_locked_is_200(admin_client_api, user):
    response = admin_client_api.post(f"/api/user/{user.pk}/unlock/")

    assert (response.status_code, response.json()) == (200, {"msg": "Account unlocked."})
    assert not SecurityEvent.objects.filter(type=EventType.UNLOCKED).exists()


@pytest.mark.parametrize(
    ("actor_factory", "target_factory", "status"),
    [
        (AdminFactory, UserFactory, 200),
        (AdminFactory, AdminFactory, 403),
        (SuperuserFactory, AdminFactory, 200),
        (UserFactory, UserFactory, 403),
    ],
    ids=["admin-user", "admin-admin", "superuser-admin", "user-user"],
)
def test_unlock_follows_the_update_rule(client_for, actor_factory, target_factory, status):
    actor, target = actor_factory(), target_factory()

    response = client_for(actor).post(f"/api/user/{target.pk}/unlock")

    assert response.status_code == status
    if status == 403:
        assert response.json() == FORBIDDEN


def test_unlock_of_an_unknown_user_is_404(admin_client_api):
    assert admin_client_api.post("/api/user/999999/unlock").status_code == 404


def test_admin_user_objects_show_locked_until(api_client, admin_user, user, client_for):
    with time_machine.travel(START, tick=False):
        admin_client_api = client_for(admin_user)
        fail(api_client, user.username)

        detail = admin_client_api.get(f"/api/user/{user.pk}").json()
        listed = admin_client_api.get("/api/user/?page_size=100").json()["results"]
        profile = client_for(user).get("/user/profile").json()

    assert detail["locked_until"] == "2026-11-25T10:01:00Z"
    assert {item["id"]: item["locked_until"] for item in listed}[user.pk] == "2026-11-25T10:01:00Z"
    assert "locked_until" not in profile


def test_locked_until_is_null_once_the_lock_has_ended(api_client, admin_user, user, client_for):
    with time_machine.travel(START, tick=False) as clock:
        admin_client_api = client_for(admin_user)
        fail(api_client, user.username)
        clock.shift(timedelta(seconds=60))

        assert admin_client_api.get(f"/api/user/{user.pk}").json()["locked_until"] is None
