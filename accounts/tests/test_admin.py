"""The Django admin site meets the same rules as the API, through the same policy and services.

The expected answers come from the one table in test_policies.py, so the
site, the API tests and the policy tests all check the same statement.
"""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.test import Client

from accounts.models import Role, User
from accounts.tests.factories import (
    PASSWORD,
    AdminFactory,
    SuperuserFactory,
    UserFactory,
    token_pair,
)
from accounts.tests.test_policies import TARGETS, allowed

pytestmark = pytest.mark.django_db

FACTORIES = {"user": UserFactory, "admin": AdminFactory, "superuser": SuperuserFactory}
ADMIN_ACTORS = ["admin", "superuser"]
MATRIX = [(actor, target) for actor in ADMIN_ACTORS for target in TARGETS]
CHANGELIST = "/admin/accounts/user/"


def change_url(user):
    return f"/admin/accounts/user/{user.pk}/change/"


def delete_url(user):
    return f"/admin/accounts/user/{user.pk}/delete/"


def change_form(user, **changes):
    """The change form's fields as the browser posts them, with some changed."""
    data = {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on" if user.is_active else "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


# --- The rules, actor x target, as on the API ------------------------------------------------


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_change_view_follows_the_policy(site, actor_kind, target_kind):
    browser, _, target = site(actor_kind, target_kind)
    response = browser.post(change_url(target), change_form(target, first_name="Renamed"))
    target.refresh_from_db()
    if allowed("can_update_user", actor_kind, target_kind):
        assert response.status_code == 302
        assert target.first_name == "Renamed"
    else:
        assert response.status_code == 403
        assert target.first_name != "Renamed"


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_change_view_shows_a_read_only_page_when_not_allowed(site, actor_kind, target_kind):
    browser, _, target = site(actor_kind, target_kind)
    page = browser.get(change_url(target))
    assert page.status_code == 200
    can_change = allowed("can_update_user", actor_kind, target_kind)
    assert ('name="first_name"' in page.content.decode()) is can_change


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_delete_view_follows_the_policy(site, actor_kind, target_kind):
    browser, _, target = site(actor_kind, target_kind)
    response = browser.post(delete_url(target), {"post": "yes"})
    exists = User.objects.filter(pk=target.pk).exists()
    if allowed("can_delete_user", actor_kind, target_kind):
        assert response.status_code == 302
        assert not exists
    else:
        assert response.status_code == 403
        assert exists


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_bulk_delete_follows_the_policy(site, actor_kind, target_kind):
    browser, _, target = site(actor_kind, target_kind)
    bystander = UserFactory()
    response = browser.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [bystander.pk, target.pk], "post": "yes"},
    )
    if allowed("can_delete_user", actor_kind, target_kind):
        assert response.status_code == 302
        assert not User.objects.filter(pk__in=[bystander.pk, target.pk]).exists()
    else:
        # One refused object refuses the whole action: nothing is deleted.
        assert response.status_code == 403
        assert User.objects.filter(pk__in=[bystander.pk, target.pk]).count() == 2


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_make_admin_action_follows_the_policy(site, actor_kind, target_kind):
    browser, _, target = site(actor_kind, target_kind)
    response = browser.post(
        CHANGELIST, {"action": "make_admin", "_selected_action": [target.pk]}, follow=True
    )
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.role == Role.ADMIN
    text = response.content.decode()
    if target_kind == "user":
        assert "1 user updated." in text
    else:
        assert "User is already an admin." in text


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_revoke_admin_action_follows_the_policy(site, actor_kind, target_kind):
    browser, _, target = site(actor_kind, target_kind)
    response = browser.post(
        CHANGELIST, {"action": "revoke_admin", "_selected_action": [target.pk]}, follow=True
    )
    target.refresh_from_db()
    if not allowed("can_revoke_admin", actor_kind, target_kind):
        # The action is not offered at all: Django answers "No action selected."
        assert "No action selected." in response.content.decode()
        assert target.role == (Role.USER if target_kind == "user" else Role.ADMIN)
    elif target_kind == "user":
        assert "User is not an admin." in response.content.decode()
    else:
        assert (target.role, target.is_superuser) == (Role.USER, False)


# --- Who gets in ------------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "listed"), [("admin", True), ("superuser", True)])
def test_admins_see_the_users_on_the_site(kind, listed):
    actor = FACTORIES[kind]()
    browser = Client()
    browser.force_login(actor)
    assert browser.get("/admin/").status_code == 200
    assert ("/admin/accounts/user/" in browser.get("/admin/").content.decode()) is listed
    assert browser.get(CHANGELIST).status_code == 200


def test_a_user_is_sent_to_the_login_page(user):
    browser = Client()
    browser.force_login(user)
    response = browser.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_an_admin_can_log_in_to_the_site_with_a_password(admin_user):
    browser = Client()
    assert browser.login(username=admin_user.username, password=PASSWORD)
    assert browser.get(CHANGELIST).status_code == 200


def test_a_demoted_admin_is_out_of_the_site_on_the_next_request(superuser):
    other = AdminFactory()
    browser = Client()
    browser.force_login(other)
    assert browser.get(CHANGELIST).status_code == 200
    operator = Client()
    operator.force_login(superuser)
    operator.post(CHANGELIST, {"action": "revoke_admin", "_selected_action": [other.pk]})
    assert browser.get(CHANGELIST).status_code == 302


def test_the_role_and_superuser_flags_are_read_only_on_the_change_form(superuser):
    target = UserFactory()
    browser = Client()
    browser.force_login(superuser)
    response = browser.post(
        change_url(target), change_form(target, role="ADMIN", is_superuser="on")
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.is_superuser) == (Role.USER, False)


# --- Never the last active admin, on the site too --------------------------------------------


def test_the_last_active_admin_cannot_deactivate_themselves_on_the_site(admin_user):
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        change_url(admin_user), change_form(admin_user, is_active=""), follow=True
    )
    assert response.status_code == 200
    assert "This would leave no active admin" in response.content.decode()
    admin_user.refresh_from_db()
    assert admin_user.is_active
    assert LogEntry.objects.count() == 0


def test_the_last_active_admin_cannot_demote_themselves_on_the_site(superuser):
    browser = Client()
    browser.force_login(superuser)
    response = browser.post(
        CHANGELIST, {"action": "revoke_admin", "_selected_action": [superuser.pk]}, follow=True
    )
    assert "This would leave no active admin" in response.content.decode()
    superuser.refresh_from_db()
    assert superuser.role == Role.ADMIN


# --- Writes go through the services ---------------------------------------------------------


def test_deactivating_on_the_site_ends_the_users_tokens(admin_user, user, client_for):
    api = client_for(user)
    browser = Client()
    browser.force_login(admin_user)
    browser.post(change_url(user), change_form(user, is_active=""))
    user.refresh_from_db()
    assert not user.is_active
    assert api.get("/user/profile").status_code == 401


def test_changing_a_password_on_the_site_ends_the_users_tokens(admin_user, user, client_for):
    api = client_for(user)
    browser = Client()
    browser.force_login(admin_user)
    new = "Fresh-Horse-77-staple"
    response = browser.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)
    assert api.get("/user/profile").status_code == 401


def test_an_admin_cannot_change_another_admins_password(admin_user):
    other = AdminFactory()
    browser = Client()
    browser.force_login(admin_user)
    new = "Fresh-Horse-77-staple"
    response = browser.post(
        f"/admin/accounts/user/{other.pk}/password/", {"password1": new, "password2": new}
    )
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.check_password(PASSWORD)


def test_adding_a_user_on_the_site_creates_a_user_role_account(admin_user):
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        "/admin/accounts/user/add/",
        {
            "username": "ｓiteuser",
            "email": "site@example.com",
            "usable_password": "true",
            "password1": "Fresh-Horse-77-staple",
            "password2": "Fresh-Horse-77-staple",
        },
    )
    created = User.objects.get(email="site@example.com")
    assert response.status_code == 302
    assert response["Location"] == change_url(created)
    assert (created.username, created.role, created.is_superuser) == ("siteuser", Role.USER, False)
    assert created.check_password("Fresh-Horse-77-staple")
    assert LogEntry.objects.get().object_id == str(created.pk)


def test_adding_a_user_without_a_password_gives_an_unusable_one(admin_user):
    browser = Client()
    browser.force_login(admin_user)
    browser.post(
        "/admin/accounts/user/add/",
        {"username": "nopass", "email": "nopass@example.com", "usable_password": "false"},
    )
    assert not User.objects.get(username="nopass").has_usable_password()


def test_a_site_change_is_logged_with_its_fields(admin_user, user):
    browser = Client()
    browser.force_login(admin_user)
    browser.post(change_url(user), change_form(user, first_name="Changed"))
    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.object_id, entry.action_flag) == (
        admin_user.pk,
        str(user.pk),
        CHANGE,
    )
    assert entry.get_change_message() == "Changed First name."


def test_a_site_password_change_is_logged_once(admin_user, user):
    browser = Client()
    browser.force_login(admin_user)
    new = "Fresh-Horse-77-staple"
    browser.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.object_id, entry.action_flag) == (
        admin_user.pk,
        str(user.pk),
        CHANGE,
    )
    assert entry.get_change_message() == "Changed Password."


def test_a_site_addition_is_logged_once_as_an_addition(admin_user):
    browser = Client()
    browser.force_login(admin_user)
    browser.post(
        "/admin/accounts/user/add/",
        {"username": "added", "email": "added@example.com", "usable_password": "false"},
    )
    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.action_flag, entry.get_change_message()) == (
        admin_user.pk,
        ADDITION,
        "Added.",
    )


def test_a_site_deletion_is_logged_once(admin_user, user):
    browser = Client()
    browser.force_login(admin_user)
    browser.post(delete_url(user), {"post": "yes"})
    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.object_id, entry.action_flag) == (
        admin_user.pk,
        str(user.pk),
        DELETION,
    )


def test_the_make_admin_action_is_logged_as_the_api_logs_it(admin_user, user):
    browser = Client()
    browser.force_login(admin_user)
    browser.post(CHANGELIST, {"action": "make_admin", "_selected_action": [user.pk]})
    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.object_id, entry.change_message) == (
        admin_user.pk,
        str(user.pk),
        "Granted admin privileges.",
    )


def test_bulk_delete_logs_each_user_and_survives_their_tokens(admin_user):
    victims = UserFactory.create_batch(3)
    for victim in victims:
        token_pair(victim)
    browser = Client()
    browser.force_login(admin_user)
    response = browser.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [v.pk for v in victims], "post": "yes"},
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk__in=[v.pk for v in victims]).exists()
    assert LogEntry.objects.count() == 3


def test_a_csrf_less_post_to_the_site_is_refused(admin_user, user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    response = browser.post(delete_url(user), {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=user.pk).exists()


def test_admin_index_offers_only_what_this_role_model_uses(client, superuser):
    client.force_login(superuser)

    response = client.get("/admin/")

    assert response.status_code == 200
    apps = {app["app_label"] for app in response.context["app_list"]}
    assert "auth" not in apps  # Groups
    assert "token_blacklist" not in apps
    assert "accounts" in apps


@pytest.mark.parametrize(
    "path",
    ["/admin/auth/group/", "/admin/token_blacklist/outstandingtoken/"],
)
def test_hidden_tables_have_no_admin_pages(client, superuser, path):
    client.force_login(superuser)

    assert client.get(path).status_code == 404


def test_admin_site_lists_the_mail_queue_for_superusers(client, superuser, user):
    from accounts import tasks

    tasks.queue_email("password_reset", user=user, to=user.email)
    client.force_login(superuser)

    response = client.get("/admin/django_tasks_database/dbtaskresult/?status__exact=READY")

    assert response.status_code == 200
    assert "send_email" in response.content.decode()


# --- Email verification on the admin site ---------------------------------------------------


def test_change_page_shows_the_verification_state_read_only(site):
    browser, _, target = site("admin", "user")
    User.objects.filter(pk=target.pk).update(pending_email="waiting@example.com")

    page = browser.get(change_url(target)).content.decode()

    assert "waiting@example.com" in page
    assert 'name="email_verified"' not in page
    assert 'name="pending_email"' not in page


def test_email_changed_on_the_admin_site_applies_at_once_unverified(site):
    browser, actor, target = site("admin", "user")
    User.objects.filter(pk=target.pk).update(email_verified=True)

    response = browser.post(change_url(target), change_form(target, email="site-new@example.com"))

    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.email, target.email_verified, target.pending_email) == (
        "site-new@example.com",
        False,
        None,
    )
    assert [(e.type, e.actor) for e in target.security_events.order_by("id")] == [
        ("email_changed", actor),
        ("admin_change", actor),
    ]
