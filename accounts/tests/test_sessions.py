from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts import jwt, sessions
from accounts.clients import Client
from accounts.models import EventType, SecurityEvent, Session, SessionEndReason
from accounts.tests.factories import UserFactory, token_pair

pytestmark = pytest.mark.django_db

LAPTOP = Client(ip_address="192.0.2.10", user_agent="Laptop/1.0")
PHONE = Client(ip_address="2001:db8::7", user_agent="Phone/2.0")


def _token(raw):
    return jwt.read_refresh_token(raw)


def test_start_records_the_session_with_its_client_and_current_token(user):
    pair = sessions.start(user=user, client=LAPTOP)

    session = Session.objects.get()
    refresh = _token(pair["refresh_token"])
    assert (session.pk, session.user, session.refresh_jti) == (
        refresh.session_id,
        user,
        refresh.jti,
    )
    assert (session.ip_address, session.user_agent) == ("192.0.2.10", "Laptop/1.0")
    assert session.expires_at == refresh.expires_at
    assert session.created_at == session.last_used_at
    assert (session.ended_at, session.end_reason) == (None, "")


def test_each_start_is_a_new_session(user):
    sessions.start(user=user, client=LAPTOP)
    sessions.start(user=user, client=LAPTOP)

    assert Session.objects.filter(user=user).count() == 2


def test_rotate_moves_the_session_to_the_new_token_and_client(user):
    first = sessions.start(user=user, client=LAPTOP)
    session = Session.objects.get()

    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        second = sessions.rotate(token=_token(first["refresh_token"]), client=PHONE)
        new = _token(second["refresh_token"])

    rotated = Session.objects.get()
    assert new.session_id == session.pk
    assert rotated.refresh_jti == new.jti
    assert rotated.last_used_at == later
    assert rotated.expires_at == new.expires_at > session.expires_at
    assert (rotated.ip_address, rotated.user_agent) == ("2001:db8::7", "Phone/2.0")
    assert rotated.created_at == session.created_at


def test_rotate_with_a_spent_token_ends_the_session_and_records_reuse(user):
    first = sessions.start(user=user, client=LAPTOP)
    sessions.rotate(token=_token(first["refresh_token"]), client=LAPTOP)

    assert sessions.rotate(token=_token(first["refresh_token"]), client=PHONE) is None

    session = Session.objects.get()
    assert session.end_reason == SessionEndReason.TOKEN_REUSE
    event = SecurityEvent.objects.get()
    assert (event.type, event.user, event.session_id) == (EventType.TOKEN_REUSE, user, session.pk)
    assert (event.ip_address, event.user_agent) == ("2001:db8::7", "Phone/2.0")


def test_rotate_of_an_ended_session_records_no_reuse(user):
    first = sessions.start(user=user, client=LAPTOP)
    sessions.end_all(user=user, reason=SessionEndReason.LOGOUT_ALL)

    assert sessions.rotate(token=_token(first["refresh_token"]), client=LAPTOP) is None

    assert Session.objects.get().end_reason == SessionEndReason.LOGOUT_ALL
    assert not SecurityEvent.objects.exists()


def test_rotate_refuses_an_inactive_user_without_ending_as_reuse(user):
    pair = sessions.start(user=user, client=LAPTOP)
    user.is_active = False
    user.save()

    assert sessions.rotate(token=_token(pair["refresh_token"]), client=LAPTOP) is None
    assert Session.objects.get().ended_at is None


def test_end_with_the_current_token_ends_the_session_as_logout(user):
    pair = sessions.start(user=user, client=LAPTOP)

    ended = sessions.end(token=_token(pair["refresh_token"]), client=LAPTOP)

    assert ended == Session.objects.get()
    assert ended.user == user
    assert Session.objects.get().end_reason == SessionEndReason.LOGOUT


def test_end_with_a_spent_token_ends_the_session_as_reuse(user):
    first = sessions.start(user=user, client=LAPTOP)
    sessions.rotate(token=_token(first["refresh_token"]), client=LAPTOP)

    assert sessions.end(token=_token(first["refresh_token"]), client=LAPTOP) is None
    assert Session.objects.get().end_reason == SessionEndReason.TOKEN_REUSE
    assert SecurityEvent.objects.get().type == EventType.TOKEN_REUSE


def test_end_all_ends_only_that_users_live_sessions(user):
    other = UserFactory()
    token_pair(user)
    token_pair(user)
    token_pair(other)

    assert sessions.end_all(user=user, reason=SessionEndReason.DEACTIVATED) == 2
    assert sessions.end_all(user=user, reason=SessionEndReason.DEACTIVATED) == 0

    assert not Session.objects.filter(user=user, ended_at__isnull=True).exists()
    assert Session.objects.get(user=other).ended_at is None


def test_end_one_ends_only_a_live_session_of_that_user(user):
    token_pair(user)
    session = Session.objects.get()

    assert not sessions.end_one(user=UserFactory(), session_id=session.pk)
    assert sessions.end_one(user=user, session_id=session.pk)
    assert not sessions.end_one(user=user, session_id=session.pk)
    assert Session.objects.get().end_reason == SessionEndReason.ENDED


def test_live_sessions_are_neither_ended_nor_expired_most_recent_first(user, settings):
    older = _token(token_pair(user)["refresh_token"]).session_id
    with time_machine.travel(timezone.now() + timedelta(minutes=1)):
        newer = _token(token_pair(user)["refresh_token"]).session_id
        ended = _token(token_pair(user)["refresh_token"]).session_id
    sessions.end_one(user=user, session_id=ended)
    token_pair(UserFactory())

    assert [s.pk for s in sessions.live_sessions(user.pk)] == [newer, older]
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    with time_machine.travel(timezone.now() + lifetime + timedelta(minutes=2)):
        assert list(sessions.live_sessions(user.pk)) == []


def test_live_sessions_of_each_account_say_which_is_current():
    first, second = UserFactory(), UserFactory()
    first_current = _token(token_pair(first)["refresh_token"]).session_id
    token_pair(first)
    second_current = _token(token_pair(second)["refresh_token"]).session_id

    mine = sessions.live_sessions(first.pk, first_current)
    theirs = sessions.live_sessions(second.pk, second_current)
    assert {(s.pk, s.current) for s in theirs} == {(second_current, True)}
    assert sorted(s.current for s in mine) == [False, True]
    assert [s.pk for s in mine if s.current] == [first_current]
    assert not any(s.current for s in sessions.live_sessions(first.pk))


def test_prune_deletes_ended_and_expired_sessions_only(user, settings):
    token_pair(user)
    live = Session.objects.get()
    ended = _token(token_pair(user)["refresh_token"]).session_id
    sessions.end_one(user=user, session_id=ended)
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    with time_machine.travel(timezone.now() - lifetime - timedelta(seconds=1)):
        token_pair(user)

    assert sessions.prune() == 2

    assert list(Session.objects.all()) == [live]
