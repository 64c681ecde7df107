"""The admin site shows an account's lock and security events, and unlocks as the API does."""

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from accounts import events, lockout
from accounts.clients import Client as ServiceClient
from accounts.models import EventType, LoginFailureStreak
from accounts.tests.factories import AdminFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/user/"


def _browser(admin):
    browser = Client()
    browser.force_login(admin)
    return browser


def _lock(user):
    for _ in range(5):
        lockout.record_failure(user.username)


def test_the_change_page_shows_the_lock(admin_user, user):
    _lock(user)
    until = lockout.locked_until([(user.pk, user.username)])[user.pk]

    page = _browser(admin_user).get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    assert until.isoformat() in page
    assert "Not locked." not in page


def test_the_change_page_says_when_not_locked(admin_user, user):
    page = _browser(admin_user).get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    assert "Not locked." in page


def test_the_change_page_shows_the_latest_events_read_only(admin_user, user):
    events.record(EventType.LOGIN, user=user, client=ServiceClient("203.0.113.7", "Browser/9"))

    page = _browser(admin_user).get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    assert "Logged in" in page
    assert "203.0.113.7" in page
    assert 'name="recent_events"' not in page


def test_the_unlock_action_unlocks_through_the_service(admin_user, user):
    _lock(user)

    response = _browser(admin_user).post(
        CHANGELIST, {"action": "unlock", "_selected_action": [user.pk]}, follow=True
    )

    assert "1 user updated." in response.content.decode()
    assert not LoginFailureStreak.objects.exists()
    assert LogEntry.objects.get().change_message == "Unlocked after failed logins."
    assert user.security_events.filter(type=EventType.UNLOCKED, actor=admin_user).exists()


def test_the_unlock_action_follows_the_update_rule(admin_user):
    other_admin = AdminFactory()
    _lock(other_admin)

    response = _browser(admin_user).post(
        CHANGELIST, {"action": "unlock", "_selected_action": [other_admin.pk]}, follow=True
    )

    assert "You do not have permission" in response.content.decode()
    assert LoginFailureStreak.objects.exists()
