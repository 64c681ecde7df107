"""The admin site shows a user's live sessions and ends them, under the update rule."""

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.test import Client

from accounts import jwt, services
from accounts.clients import Client as ServiceClient
from accounts.models import EventType, SecurityEvent, Session, SessionEndReason
from accounts.tests.factories import UserFactory, event_record, token_pair
from accounts.tests.test_admin import CHANGELIST, MATRIX, change_url
from accounts.tests.test_policies import allowed

pytestmark = pytest.mark.django_db

LAPTOP = ServiceClient(ip_address="192.0.2.10", user_agent="Laptop/1.0")


def _session_id(pair):
    return jwt.read_refresh_token(pair["refresh_token"]).session_id


def _end_url(user, pair=None):
    if pair is None:
        return f"/admin/accounts/user/{user.pk}/sessions/end/"
    return f"/admin/accounts/user/{user.pk}/sessions/{_session_id(pair)}/end/"


def _browser(actor):
    browser = Client()
    browser.force_login(actor)
    return browser


def _refreshes(pair):
    try:
        services.token_refresh(refresh_token=pair["refresh_token"], client=ServiceClient())
    except services.Unauthenticated:
        return False
    return True


def test_the_change_page_lists_live_sessions_only(admin_user, user):
    token_pair(user, LAPTOP)
    ended = token_pair(user, ServiceClient(user_agent="Ended/9"))
    services.logout(refresh_token=ended["refresh_token"], client=ServiceClient())

    page = _browser(admin_user).get(change_url(user)).content.decode()

    assert 'id="live-sessions"' in page
    assert "Laptop/1.0" in page
    assert "192.0.2.10" in page
    assert "Ended/9" not in page


def test_the_change_page_says_when_there_are_no_live_sessions(admin_user, user):
    page = _browser(admin_user).get(change_url(user)).content.decode()

    assert "No live sessions." in page


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_end_links_show_where_the_update_rule_allows(site, actor_kind, target_kind):
    browser, _, target = site(actor_kind, target_kind)
    pair = token_pair(target)

    page = browser.get(change_url(target)).content.decode()

    shown = _end_url(target, pair) in page and _end_url(target) in page
    assert shown == allowed("can_update_user", actor_kind, target_kind)


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_ending_a_session_follows_the_update_rule(site, actor_kind, target_kind):
    browser, _, target = site(actor_kind, target_kind)
    pair = token_pair(target)

    confirm = browser.get(_end_url(target, pair))
    response = browser.post(_end_url(target, pair))

    if allowed("can_update_user", actor_kind, target_kind):
        assert confirm.status_code == 200
        assert response.status_code == 302
        assert response["Location"] == change_url(target)
        assert not _refreshes(pair)
    else:
        assert (confirm.status_code, response.status_code) == (403, 403)
        assert _refreshes(pair)


def test_the_confirmation_page_names_the_session_and_ends_nothing(admin_user, user):
    pair = token_pair(user, LAPTOP)

    page = _browser(admin_user).get(_end_url(user, pair)).content.decode()

    assert "Laptop/1.0" in page
    assert "Yes, end it" in page
    assert Session.objects.get().ended_at is None


def test_ending_a_session_on_the_site_is_recorded_like_the_api(admin_user, user):
    pair = token_pair(user)
    other = token_pair(user)

    _browser(admin_user).post(
        _end_url(user, pair), REMOTE_ADDR="198.51.100.8", HTTP_USER_AGENT="Ops/1"
    )

    assert Session.objects.get(pk=_session_id(pair)).end_reason == SessionEndReason.ENDED
    assert _refreshes(other)
    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.object_id, entry.action_flag) == (
        admin_user.pk,
        str(user.pk),
        CHANGE,
    )
    assert entry.change_message == "Ended a session."
    assert event_record(SecurityEvent.objects.exclude(type=EventType.ADMIN_CHANGE).get()) == (
        EventType.SESSION_ENDED,
        user.pk,
        admin_user.pk,
        _session_id(pair),
        "198.51.100.8",
        "Ops/1",
    )


def test_ending_all_sessions_on_the_site(admin_user, user):
    pairs = [token_pair(user) for _ in range(2)]
    browser = _browser(admin_user)

    response = browser.post(_end_url(user), follow=True)

    assert "User logged out of all sessions." in response.content.decode()
    assert not any(_refreshes(pair) for pair in pairs)
    assert LogEntry.objects.get().change_message == "Ended all sessions."
    assert set(SecurityEvent.objects.values_list("type", flat=True)) == {
        EventType.LOGOUT_ALL,
        EventType.ADMIN_CHANGE,
    }


@pytest.mark.parametrize("state", ["ended", "unknown"])
def test_ending_a_session_that_is_not_live_is_404(admin_user, user, state):
    pair = token_pair(user)
    if state == "ended":
        services.logout(refresh_token=pair["refresh_token"], client=ServiceClient())
        url = _end_url(user, pair)
    else:
        url = f"/admin/accounts/user/{user.pk}/sessions/tZl1flsq5jET6W9diW2gZA/end/"

    assert _browser(admin_user).post(url).status_code == 404
    assert not LogEntry.objects.exists()


def test_ending_a_session_of_another_user_through_this_users_url_is_404(admin_user, user):
    other = token_pair(UserFactory())
    url = f"/admin/accounts/user/{user.pk}/sessions/{_session_id(other)}/end/"

    assert _browser(admin_user).post(url).status_code == 404
    assert _refreshes(other)


def test_a_csrf_less_post_cannot_end_a_session(admin_user, user):
    pair = token_pair(user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)

    assert browser.post(_end_url(user, pair)).status_code == 403
    assert _refreshes(pair)


def test_the_bulk_action_ends_the_sessions_allowed_and_reports_the_rest(admin_user):
    user = UserFactory()
    other_admin = UserFactory(role="ADMIN")
    mine, theirs = token_pair(user), token_pair(other_admin)

    response = _browser(admin_user).post(
        CHANGELIST,
        {"action": "logout_all", "_selected_action": [user.pk, other_admin.pk]},
        follow=True,
    )

    page = response.content.decode()
    assert "1 user updated." in page
    assert f"{other_admin}: You do not have permission".lower() in page.lower()
    assert not _refreshes(mine)
    assert _refreshes(theirs)
