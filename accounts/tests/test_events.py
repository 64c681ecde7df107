from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import events
from accounts.clients import Client
from accounts.models import EventType, SecurityEvent
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_record_stores_the_event_with_client_session_and_actor(user, admin_user):
    client = Client(ip_address="203.0.113.7", user_agent="curl/8")
    event = events.record(
        EventType.ADMIN_CHANGE, user=user, client=client, session_id="s1", actor=admin_user
    )
    stored = SecurityEvent.objects.get(pk=event.pk)
    assert (stored.type, stored.user, stored.actor) == ("admin_change", user, admin_user)
    assert (stored.ip_address, stored.user_agent) == ("203.0.113.7", "curl/8")
    assert stored.session_id == "s1"


def test_record_without_client_stores_no_address(user):
    event = events.record(EventType.LOGIN, user=user)
    assert (event.ip_address, event.user_agent, event.actor) == (None, "", None)


def test_record_logs_one_line_after_commit(user, caplog, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        events.record(EventType.LOGIN, user=user)
    lines = [r for r in caplog.records if r.name == "accounts.events"]
    assert len(lines) == 1
    assert (lines[0].event, lines[0].user_id) == ("login", user.pk)


def test_history_is_the_accounts_own_events_newest_first(user):
    first = events.record(EventType.LOGIN, user=user)
    second = events.record(EventType.LOGOUT, user=user)
    events.record(EventType.LOGIN, user=UserFactory())
    assert list(events.history(user.pk)) == [second, first]


def test_prune_deletes_only_events_past_retention(user, settings):
    settings.SECURITY_EVENT_RETENTION_DAYS = 90
    old = events.record(EventType.LOGIN, user=user)
    SecurityEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    kept = events.record(EventType.LOGIN, user=user)
    assert events.prune() == 1
    assert list(SecurityEvent.objects.values_list("pk", flat=True)) == [kept.pk]
