"""accounts.lockout: keys, counting, the end of a streak, the prune."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from accounts import lockout
from accounts.exceptions import Locked
from accounts.models import LoginFailureStreak

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 25, 10, 0, 0, tzinfo=UTC)


def test_username_key_is_keyed_by_the_secret_key(settings):
    before = lockout.username_key("alice")
    settings.SECRET_KEY = "another-" * 8

    assert lockout.username_key("alice") != before


def test_username_key_takes_a_lone_surrogate():
    assert len(lockout.username_key("\ud800")) == 64


def test_record_failure_returns_the_seconds_of_the_lock_it_imposes():
    seconds = [lockout.record_failure("alice", now=NOW) for _ in range(5)]

    assert seconds == [0, 0, 0, 0, 60]


def test_record_failure_while_locked_raises_locked_with_the_seconds_left():
    for _ in range(5):
        lockout.record_failure("alice", now=NOW)

    with pytest.raises(Locked) as raised:
        lockout.record_failure("alice", now=NOW + timedelta(seconds=0.5))

    assert raised.value.retry_after == 60


def test_end_streak_says_whether_a_lock_was_in_force():
    lockout.record_failure("alice", now=NOW)
    assert lockout.end_streak("alice", now=NOW) is False
    for _ in range(5):
        lockout.record_failure("bob", now=NOW)
    assert lockout.end_streak("bob", now=NOW) is True
    assert not LoginFailureStreak.objects.exists()


def test_prune_deletes_streaks_that_ended_by_time_only(settings):
    settings.LOGIN_FAILURE_RESET_SECONDS = 100
    lockout.record_failure("stale", now=NOW - timedelta(seconds=100))
    lockout.record_failure("fresh", now=NOW - timedelta(seconds=99))

    assert lockout.prune(now=NOW) == 1
    assert list(LoginFailureStreak.objects.values_list("key", flat=True)) == [
        lockout.username_key("fresh")
    ]


def test_prune_keeps_a_lock_still_in_force(settings):
    settings.LOGIN_FAILURE_RESET_SECONDS = 10
    settings.LOGIN_LOCKOUT_SECONDS = 60
    for _ in range(5):
        lockout.record_failure("alice", now=NOW - timedelta(seconds=30))

    assert lockout.prune(now=NOW) == 0


def test_the_prune_command_prunes_streaks(settings, capsys):
    settings.LOGIN_FAILURE_RESET_SECONDS = 1
    lockout.record_failure("stale", now=NOW)

    call_command("prune")

    assert "Deleted 1 failed-login streaks." in capsys.readouterr().out


def _lock(username):
    for _ in range(5):
        lockout.record_failure(username, now=NOW)


def test_locked_until_maps_the_locks_in_force_to_the_accounts():
    _lock("alice")
    _lock("carol")
    lockout.record_failure("bob", now=NOW)  # a streak, no lock

    locks = lockout.locked_until([(1, "ALICE"), (2, "bob"), (3, "dave")], now=NOW)

    assert locks == {1: NOW + timedelta(seconds=60)}


def test_locked_until_ignores_locks_that_have_ended():
    _lock("alice")

    assert lockout.locked_until([(1, "alice")], now=NOW + timedelta(seconds=60)) == {}


def test_locked_until_reads_one_query_and_no_key_when_no_lock_is_in_force(
    django_assert_num_queries, monkeypatch
):
    lockout.record_failure("alice", now=NOW)
    monkeypatch.setattr(lockout, "username_key", None)  # calling it would fail

    with django_assert_num_queries(1):
        assert lockout.locked_until([(1, "alice")], now=NOW) == {}


def test_locked_until_sends_the_accounts_keys_past_the_locks_it_reads_whole(
    django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr(lockout, "LOCKS_READ_WHOLE", 1)
    _lock("alice")
    _lock("bob")
    _lock("carol")

    with django_assert_num_queries(2):
        locks = lockout.locked_until([(1, "alice"), (2, "dave")], now=NOW)

    assert locks == {1: NOW + timedelta(seconds=60)}
