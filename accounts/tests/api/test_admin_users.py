"""The admin routes under /api/user/: every rule, status code, audit entry and query count."""

import json
import threading

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import lockout, services
from accounts.clients import Client
from accounts.exceptions import NotAllowed, NotFound
from accounts.models import Role, Session, User
from accounts.tests.factories import AdminFactory, SuperuserFactory, UserFactory, token_pair
from accounts.tests.test_policies import ACTORS, TARGETS, allowed

pytestmark = pytest.mark.django_db

FORBIDDEN = {
    "detail": "You do not have permission to perform this action.",
    "code": "permission_denied",
}
LAST_ADMIN = {
    "detail": "This would leave no active admin; make another user admin first.",
    "code": "last_active_admin",
}


def user_object(user, locked_until=None):
    """Return the admin views' user object for a saved user, read fresh."""
    user.refresh_from_db()

    def iso(value):
        return None if value is None else value.isoformat().replace("+00:00", "Z")

    return {
        "id": user.pk,
        "username": user.username,
        "email": user.email,
        "email_verified": user.email_verified,
        "pending_email": user.pending_email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": user.role,
        "active": user.is_active,
        "created_at": iso(user.created_at),
        "updated_at": iso(user.updated_at),
        "last_login": iso(user.last_login),
        "locked_until": iso(locked_until),
    }


MATRIX = [(actor, target) for actor in ACTORS for target in TARGETS]


def expected_status(rule, actor, target, success=200):
    if actor == "user":
        return 403
    return success if allowed(rule, actor, target) else 403


# --- The rules, actor x target ------------------------------------------------------


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_update_follows_the_policy(world, actor_kind, target_kind):
    client, _, target = world(actor_kind, target_kind)
    response = client.patch(f"/api/user/{target.pk}", {"first_name": "Renamed"})
    assert response.status_code == expected_status("can_update_user", actor_kind, target_kind)
    target.refresh_from_db()
    assert (target.first_name == "Renamed") is (response.status_code == 200)


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_deactivate_follows_the_policy(world, actor_kind, target_kind):
    client, _, target = world(actor_kind, target_kind)
    response = client.patch(f"/api/user/{target.pk}", {"active": False})
    assert response.status_code == expected_status("can_update_user", actor_kind, target_kind)
    target.refresh_from_db()
    assert target.is_active is (response.status_code != 200)


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_delete_follows_the_policy(world, actor_kind, target_kind):
    client, _, target = world(actor_kind, target_kind)
    response = client.delete(f"/api/user/{target.pk}")
    assert response.status_code == expected_status("can_delete_user", actor_kind, target_kind)
    assert User.objects.filter(pk=target.pk).exists() is (response.status_code != 200)


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_make_admin_follows_the_policy(world, actor_kind, target_kind):
    client, _, target = world(actor_kind, target_kind)
    response = client.put(f"/api/user/{target.pk}/make_admin")
    # Allowed for every admin; only a USER target can still be promoted.
    success = 200 if target_kind == "user" else 400
    assert response.status_code == expected_status(
        "can_grant_admin", actor_kind, target_kind, success
    )


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_revoke_admin_follows_the_policy(world, actor_kind, target_kind):
    client, _, target = world(actor_kind, target_kind)
    response = client.put(f"/api/user/{target.pk}/revoke_admin")
    success = 400 if target_kind == "user" else 200
    assert response.status_code == expected_status(
        "can_revoke_admin", actor_kind, target_kind, success
    )


@pytest.mark.parametrize(("actor_kind", "target_kind"), MATRIX)
def test_retrieve_follows_the_policy(world, actor_kind, target_kind):
    client, _, target = world(actor_kind, target_kind)
    response = client.get(f"/api/user/{target.pk}")
    assert response.status_code == expected_status("can_view_user", actor_kind, target_kind)


# --- Authentication and routing -------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/user/"),
        ("get", "/api/user/1"),
        ("put", "/api/user/1"),
        ("patch", "/api/user/1"),
        ("delete", "/api/user/1"),
        ("put", "/api/user/1/make_admin"),
        ("put", "/api/user/1/revoke_admin"),
    ],
)
def test_every_admin_route_needs_a_token(api_client, method, path):
    response = getattr(api_client, method)(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/user/"),
        ("get", "/api/user/{pk}"),
        ("put", "/api/user/{pk}"),
        ("patch", "/api/user/{pk}"),
        ("delete", "/api/user/{pk}"),
        ("put", "/api/user/{pk}/make_admin"),
        ("put", "/api/user/{pk}/revoke_admin"),
    ],
)
def test_every_admin_route_refuses_a_user(user_client, user, method, path):
    response = getattr(user_client, method)(path.format(pk=user.pk), {"first_name": "x"})
    assert response.status_code == 403
    assert response.json() == FORBIDDEN


def test_an_invalid_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert api_client.get("/api/user/").status_code == 401


@pytest.mark.parametrize("path", ["/api/user", "/api/user/", "/api/user/{pk}", "/api/user/{pk}/"])
def test_trailing_slash_is_optional_without_redirect(admin_client_api, user, path):
    assert admin_client_api.get(path.format(pk=user.pk)).status_code == 200


@pytest.mark.parametrize("suffix", ["", "/"])
def test_make_admin_answers_with_and_without_slash(admin_client_api, user, suffix):
    response = admin_client_api.put(f"/api/user/{user.pk}/make_admin{suffix}")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/user", "/api/user/"])
def test_creating_through_the_api_is_405(admin_client_api, path):
    response = admin_client_api.post(path, {"username": "x", "email": "x@example.com"})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert not User.objects.filter(username="x").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/user/abc",
        "/api/user/abc/",
        "/api/user/-1",
        "/api/user/1.5",
        "/api/user/abc/make_admin",
        "/api/user/999999",
        "/api/user/99999999999999999999",
        "/api/user/99999999999999999999/make_admin",
        "/api/user/9223372036854775808",
    ],
)
def test_unknown_or_non_numeric_id_is_a_json_404(admin_client_api, path):
    for method in ("get", "put", "patch", "delete"):
        response = getattr(admin_client_api, method)(path)
        if response.status_code == 405:  # make_admin takes only PUT
            continue
        assert response.status_code == 404, (method, path)
        assert response["Content-Type"] == "application/json"
        assert response.json()["code"] == "not_found"


# --- List ---------------------------------------------------------------------------------


def test_list_is_paginated_with_user_objects(admin_client_api, admin_user):
    users = UserFactory.create_batch(2)
    response = admin_client_api.get("/api/user/")
    assert response.status_code == 200
    assert response.json() == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [user_object(u) for u in [admin_user, *users]],
    }


def test_list_pages_default_to_twenty(admin_client_api):
    UserFactory.create_batch(24)
    body = admin_client_api.get("/api/user/").json()
    assert body["count"] == 25
    assert len(body["results"]) == 20
    assert body["next"] == "http://testserver/api/user/?page=2"
    second = admin_client_api.get(body["next"]).json()
    assert len(second["results"]) == 5
    assert second["previous"] == "http://testserver/api/user/"


def test_page_size_is_capped_at_a_hundred(admin_client_api):
    User.objects.bulk_create(
        [User(username=f"bulk{i}", email=f"bulk{i}@example.com") for i in range(105)]
    )
    assert len(admin_client_api.get("/api/user/?page_size=3").json()["results"]) == 3
    assert len(admin_client_api.get("/api/user/?page_size=1000").json()["results"]) == 100


@pytest.mark.parametrize("page", ["2", "0", "abc", "99999999999999999999"])
def test_a_page_out_of_range_is_404(admin_client_api, page):
    response = admin_client_api.get(f"/api/user/?page={page}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "99999999999999999999"])
def test_a_bad_page_size_falls_back_to_the_default(admin_client_api, page_size):
    response = admin_client_api.get(f"/api/user/?page_size={page_size}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("term", "field"),
    [
        ("ZEBRA", "username"),
        ("zebra", "username"),
        ("stripes.ORG", "email"),
        ("quill", "first_name"),
        ("FEATHER", "last_name"),
    ],
)
def test_search_matches_a_substring_of_names_or_email_case_insensitively(
    admin_client_api, term, field
):
    match = UserFactory(
        username="the_zebra_1",
        email="z@stripes.org",
        first_name="Quillan",
        last_name="Featherstone",
    )
    UserFactory(username="other", email="o@example.com", first_name="Ann", last_name="Lee")
    body = admin_client_api.get(f"/api/user/?search={term}").json()
    assert [u["id"] for u in body["results"]] == [match.pk]
    assert body["count"] == 1


def test_search_treats_like_wildcards_literally(admin_client_api):
    UserFactory(username="plain", first_name="Ann", last_name="Lee")
    body = admin_client_api.get("/api/user/?search=%25").json()
    assert body["count"] == 0


@pytest.mark.parametrize(("role", "kinds"), [("ADMIN", {"ADMIN"}), ("USER", {"USER"})])
def test_filter_by_role(admin_client_api, user, role, kinds):
    body = admin_client_api.get(f"/api/user/?role={role}").json()
    assert {u["role"] for u in body["results"]} == kinds
    assert body["count"] == 1


def test_an_unknown_role_filter_is_400(admin_client_api):
    response = admin_client_api.get("/api/user/?role=OWNER")
    assert response.status_code == 400
    assert list(response.json()) == ["role"]


@pytest.mark.parametrize("query", ["active=maybe", "active=yes", "active=", "role=admin"])
def test_an_unknown_filter_value_is_400(admin_client_api, query):
    response = admin_client_api.get(f"/api/user/?{query}")
    if query == "active=":
        assert response.status_code == 200  # an empty filter is no filter
    else:
        assert response.status_code == 400
        assert list(response.json()) == [query.split("=")[0]]


@pytest.mark.parametrize(("value", "active"), [("true", True), ("false", False)])
def test_filter_by_active(admin_client_api, value, active):
    gone = UserFactory(is_active=False)
    body = admin_client_api.get(f"/api/user/?active={value}").json()
    ids = [u["id"] for u in body["results"]]
    assert (gone.pk in ids) is (not active)
    assert all(u["active"] is active for u in body["results"])


@pytest.mark.parametrize(
    ("ordering", "key", "reverse"),
    [
        ("username", "username", False),
        ("-username", "username", True),
        ("email", "email", False),
        ("-email", "email", True),
        ("id", "id", False),
        ("-id", "id", True),
        ("created_at", "created_at", False),
        ("-created_at", "created_at", True),
    ],
)
def test_ordering_on_allowed_fields(admin_client_api, ordering, key, reverse):
    for name in ["mike", "alpha", "zulu", "echo"]:
        UserFactory(username=name, email=f"{name[::-1]}@example.com")
    results = admin_client_api.get(f"/api/user/?ordering={ordering}").json()["results"]
    values = [u[key] for u in results]
    assert values == sorted(values, reverse=reverse)


def test_ordering_breaks_ties_by_id_in_the_same_direction(admin_client_api, admin_user):
    users = UserFactory.create_batch(3)  # no one has logged in: last_login ties
    ids = [admin_user.pk, *(u.pk for u in users)]
    ascending = admin_client_api.get("/api/user/?ordering=last_login").json()["results"]
    descending = admin_client_api.get("/api/user/?ordering=-last_login").json()["results"]
    assert [u["id"] for u in ascending] == ids
    assert [u["id"] for u in descending] == ids[::-1]


@pytest.mark.parametrize("ordering", ["password", "-password", "role", "is_superuser", "x__y", ""])
def test_ordering_on_other_fields_is_ignored(admin_client_api, ordering):
    UserFactory.create_batch(3)
    ids = [
        u["id"] for u in admin_client_api.get(f"/api/user/?ordering={ordering}").json()["results"]
    ]
    assert ids == sorted(ids)


# --- Read -------------------------------------------------------------------------------


def test_retrieve_returns_the_user_object(admin_client_api, user):
    response = admin_client_api.get(f"/api/user/{user.pk}")
    assert response.status_code == 200
    assert response.json() == user_object(user)
    assert "password" not in response.content.decode()


# --- Update -----------------------------------------------------------------------------


def test_put_updates_identity_names_and_active(admin_client_api, user):
    body = {
        "username": "renamed",
        "email": "renamed@example.com",
        "first_name": "Re",
        "last_name": "Named",
        "active": False,
    }
    response = admin_client_api.put(f"/api/user/{user.pk}", body)
    assert response.status_code == 200
    assert response.json() == {"msg": "Updated Successfully.", "user": user_object(user)}
    assert (user.username, user.email, user.is_active) == ("renamed", "renamed@example.com", False)


def test_patch_changes_only_the_fields_sent(admin_client_api, user):
    before = user_object(user)
    response = admin_client_api.patch(f"/api/user/{user.pk}", {"last_name": "Only"})
    assert response.status_code == 200
    after = response.json()["user"]
    assert after.pop("updated_at") != before.pop("updated_at")
    assert after == before | {"last_name": "Only"}


def test_read_only_fields_are_ignored(admin_client_api, user):
    old_hash = user.password
    response = admin_client_api.patch(
        f"/api/user/{user.pk}",
        {
            "role": "ADMIN",
            "is_superuser": True,
            "is_staff": True,
            "password": "Another-Horse-43",
            "id": 9999,
            "created_at": "2000-01-01T00:00:00Z",
        },
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.pk, user.role, user.is_superuser, user.password) == (
        response.json()["user"]["id"],
        Role.USER,
        False,
        old_hash,
    )
    assert user.created_at.year != 2000


def test_put_needs_username_and_email(admin_client_api, user):
    response = admin_client_api.put(f"/api/user/{user.pk}", {"first_name": "x"})
    assert response.status_code == 400
    assert set(response.json()) == {"username", "email"}


def test_update_refuses_a_username_taken_in_another_case(admin_client_api, user):
    UserFactory(username="Taken")
    response = admin_client_api.patch(f"/api/user/{user.pk}", {"username": "tAKEN"})
    assert response.status_code == 400
    assert response.json() == {"username": ["A user with that username already exists."]}


def test_update_keeps_a_users_own_username(admin_client_api, user):
    response = admin_client_api.patch(f"/api/user/{user.pk}", {"username": user.username.upper()})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"email": "not-an-email"},
        {"username": "x" * 151},
        {"username": "bad name!"},
        {"first_name": "x" * 151},
        {"active": "maybe"},
        {"email": ["a@example.com"]},
    ],
)
def test_invalid_update_is_400_and_changes_nothing(admin_client_api, user, body):
    before = user_object(user)
    response = admin_client_api.patch(f"/api/user/{user.pk}", body)
    assert response.status_code == 400
    assert set(response.json()) == {"active" if "active" in body else next(iter(body))}
    assert user_object(user) == before


def test_update_accepts_a_form_body(admin_client_api, user):
    response = admin_client_api.patch(
        f"/api/user/{user.pk}", {"first_name": "Formed"}, format="multipart"
    )
    assert response.status_code == 200


# --- An update that changes nothing: no write, same answer ------------------------------

UNCHANGED_BODIES = {
    "empty": (),
    "same values": ("username", "email", "first_name", "last_name", "is_active"),
}


@pytest.mark.parametrize("fields", UNCHANGED_BODIES.values(), ids=UNCHANGED_BODIES)
def test_patch_that_changes_nothing_writes_nothing(admin_client_api, user, fields):
    before = user_object(user)
    body = {"active" if name == "is_active" else name: getattr(user, name) for name in fields}
    with CaptureQueriesContext(connection) as queries:
        response = admin_client_api.patch(f"/api/user/{user.pk}", body)
    assert response.status_code == 200
    assert response.json() == {"msg": "Updated Successfully.", "user": before}
    assert user_object(user) == before
    assert [q["sql"] for q in queries if q["sql"].startswith("UPDATE")] == []


def test_patch_that_changes_nothing_is_logged_as_the_admin_site_does(admin_client_api, user):
    """The admin site also records an unchanged save, as "No fields changed."."""
    admin_client_api.patch(f"/api/user/{user.pk}", {})
    [entry] = LogEntry.objects.all()
    assert (entry.object_id, entry.action_flag) == (str(user.pk), CHANGE)
    assert entry.get_change_message() == "No fields changed."


# --- Never the last active admin ----------------------------------------------------------


def test_the_last_active_admin_cannot_deactivate_themselves(admin_client_api, admin_user):
    response = admin_client_api.patch(f"/api/user/{admin_user.pk}", {"active": False})
    assert response.status_code == 409
    assert response.json() == LAST_ADMIN
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_an_admin_may_deactivate_themselves_while_another_admin_remains(
    admin_client_api, admin_user
):
    AdminFactory()
    response = admin_client_api.patch(f"/api/user/{admin_user.pk}", {"active": False})
    assert response.status_code == 200
    assert admin_client_api.get("/api/user/").status_code == 401


def test_the_last_active_admin_cannot_demote_themselves(superuser_client_api, superuser):
    AdminFactory(is_active=False)
    response = superuser_client_api.put(f"/api/user/{superuser.pk}/revoke_admin")
    assert response.status_code == 409
    assert response.json() == LAST_ADMIN
    superuser.refresh_from_db()
    assert (superuser.role, superuser.is_superuser) == (Role.ADMIN, True)


def test_a_superuser_may_demote_themselves_while_another_admin_remains(
    superuser_client_api, superuser
):
    AdminFactory()
    response = superuser_client_api.put(f"/api/user/{superuser.pk}/revoke_admin")
    assert response.status_code == 200
    superuser.refresh_from_db()
    assert (superuser.role, superuser.is_superuser) == (Role.USER, False)
    # The demotion applies to the very next request made with the old token.
    assert superuser_client_api.get("/api/user/").status_code == 403


def test_two_superusers_demoting_each_other_leave_one_admin(superuser):
    """The second demotion runs with a stale actor; the service re-reads it and refuses."""
    other = SuperuserFactory()
    services.user_revoke_admin(actor=superuser, user=other)
    # `other` still holds its old ADMIN role in memory.
    with pytest.raises(NotAllowed):
        services.user_revoke_admin(actor=other, user=superuser)
    superuser.refresh_from_db()
    assert superuser.role == Role.ADMIN


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_mutual_demotions_wait_for_each_other(on_postgres):
    """Two superusers, the only admins, demote each other at the same moment.

    The first demotion holds its transaction open; the second must wait on
    the row locks rather than read the old roles, then find its own actor
    demoted (403). Without select_for_update both would succeed: no admin left.
    """
    first, second = SuperuserFactory(), SuperuserFactory()
    first_locked, release_first = threading.Event(), threading.Event()
    outcome = {}

    def demote_second():
        try:
            with transaction.atomic():
                services.user_revoke_admin(actor=first, user=second)
                first_locked.set()
                release_first.wait(10)
        finally:
            connections.close_all()

    def demote_first():
        try:
            services.user_revoke_admin(actor=second, user=first)
            outcome["second"] = "demoted first"
        except NotAllowed:
            outcome["second"] = "refused"
        finally:
            connections.close_all()

    one = threading.Thread(target=demote_second)
    one.start()
    assert first_locked.wait(10)
    two = threading.Thread(target=demote_first)
    two.start()
    two.join(0.5)
    assert two.is_alive(), "the second demotion did not wait for the first"
    release_first.set()
    one.join(10)
    two.join(10)
    assert outcome == {"second": "refused"}
    assert list(User.objects.filter(role=Role.ADMIN).values_list("pk", flat=True)) == [first.pk]


def test_a_deactivated_admin_acting_on_a_stale_copy_is_refused(superuser):
    other = SuperuserFactory()
    services.user_admin_update(actor=superuser, user=other, is_active=False)
    with pytest.raises(NotAllowed):
        services.user_delete(actor=other, user=superuser)
    assert User.objects.filter(pk=superuser.pk).exists()


def test_an_inactive_admin_is_not_counted_as_the_remaining_admin(superuser_client_api, superuser):
    AdminFactory(is_active=False)
    response = superuser_client_api.patch(f"/api/user/{superuser.pk}", {"active": False})
    assert response.status_code == 409


def test_a_superuser_may_reactivate_an_admin(superuser_client_api):
    sleeper = AdminFactory(is_active=False)
    response = superuser_client_api.patch(f"/api/user/{sleeper.pk}", {"active": True})
    assert response.status_code == 200
    sleeper.refresh_from_db()
    assert sleeper.is_active


# --- Delete ------------------------------------------------------------------------------


def test_delete_answers_with_the_contract_message(admin_client_api, user):
    response = admin_client_api.delete(f"/api/user/{user.pk}/")
    assert response.status_code == 200
    assert response.json() == {"msg": "User deleted."}
    assert not User.objects.filter(pk=user.pk).exists()


def test_deleting_twice_is_404(admin_client_api, user):
    admin_client_api.delete(f"/api/user/{user.pk}")
    assert admin_client_api.delete(f"/api/user/{user.pk}").status_code == 404


def test_delete_is_not_blocked_by_sessions_tokens_or_log_entries(admin_client_api, user):
    # A session that logged out, one still live, a token row of SimpleJWT's
    # blacklist app (from before sessions) and an admin-site history entry
    # written by the user: none may block, the sessions go with the user.
    services.logout(refresh_token=token_pair(user)["refresh_token"], client=Client())
    token_pair(user)
    OutstandingToken.objects.create(user=user, jti="legacy", token="x", expires_at=timezone.now())
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=[user], action_flag=CHANGE, change_message="x"
    )
    response = admin_client_api.delete(f"/api/user/{user.pk}")
    assert response.status_code == 200
    assert not Session.objects.filter(user_id=user.pk).exists()
    assert OutstandingToken.objects.get().user is None


def test_a_deleted_users_tokens_stop_working_at_once(admin_client_api, client_for, user):
    pair = token_pair(user)
    victim = client_for(user)
    assert victim.get("/user/profile").status_code == 200
    admin_client_api.delete(f"/api/user/{user.pk}")
    assert victim.get("/user/profile").status_code == 401
    refresh = admin_client_api.post("/user/token/refresh", {"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401


def test_a_deactivated_users_tokens_stop_working_at_once(admin_client_api, client_for, user):
    pair = token_pair(user)
    victim = client_for(user)
    admin_client_api.patch(f"/api/user/{user.pk}", {"active": False})
    assert victim.get("/user/profile").status_code == 401
    refresh = admin_client_api.post("/user/token/refresh", {"refresh_token": pair["refresh_token"]})
    assert refresh.status_code == 401
    # Reactivation does not revive the sessions ended by the deactivation.
    admin_client_api.patch(f"/api/user/{user.pk}", {"active": True})
    assert victim.get("/user/profile").status_code == 401


def test_a_user_deleted_between_read_and_write_is_404():
    actor = AdminFactory()
    stale = UserFactory()
    User.objects.filter(pk=stale.pk).delete()
    for service in (services.user_delete, services.user_grant_admin):
        with pytest.raises(NotFound):
            service(actor=actor, user=stale)
    with pytest.raises(NotFound):
        services.user_admin_update(actor=actor, user=stale, first_name="x")


# --- Roles ---------------------------------------------------------------------------------


def test_make_admin_grants_the_role_for_the_next_request(admin_client_api, client_for, user):
    promoted = client_for(user)
    assert promoted.get("/api/user/").status_code == 403
    response = admin_client_api.put(f"/api/user/{user.pk}/make_admin")
    assert response.status_code == 200
    assert response.json() == {"msg": "User has been granted admin privileges."}
    user.refresh_from_db()
    assert (user.role, user.is_superuser) == (Role.ADMIN, False)
    assert promoted.get("/api/user/").status_code == 200


def test_make_admin_on_an_admin_is_400(admin_client_api):
    other = AdminFactory()
    response = admin_client_api.put(f"/api/user/{other.pk}/make_admin")
    assert response.status_code == 400
    assert response.json() == {"role": ["User is already an admin."]}


def test_make_admin_ignores_a_body(admin_client_api, user):
    response = admin_client_api.put(
        f"/api/user/{user.pk}/make_admin", {"role": "USER", "is_superuser": True}
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.role, user.is_superuser) == (Role.ADMIN, False)


def test_revoke_admin_demotes_for_the_next_request(superuser_client_api, client_for):
    other = AdminFactory()
    demoted = client_for(other)
    response = superuser_client_api.put(f"/api/user/{other.pk}/revoke_admin")
    assert response.status_code == 200
    assert response.json() == {"msg": "Admin privileges have been revoked."}
    other.refresh_from_db()
    assert other.role == Role.USER
    assert demoted.get("/api/user/").status_code == 403
    # The demoted account itself keeps working as a USER.
    assert demoted.get("/user/profile").status_code == 200


def test_revoke_admin_from_another_superuser_ends_their_superuser_status(superuser_client_api):
    other = SuperuserFactory()
    assert superuser_client_api.put(f"/api/user/{other.pk}/revoke_admin").status_code == 200
    other.refresh_from_db()
    assert (other.role, other.is_superuser) == (Role.USER, False)


def test_revoke_admin_from_a_user_is_400(superuser_client_api, user):
    response = superuser_client_api.put(f"/api/user/{user.pk}/revoke_admin")
    assert response.status_code == 400
    assert response.json() == {"role": ["User is not an admin."]}


def test_an_admin_cannot_revoke_admin(admin_client_api):
    other = AdminFactory()
    response = admin_client_api.put(f"/api/user/{other.pk}/revoke_admin")
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    other.refresh_from_db()
    assert other.role == Role.ADMIN


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_role_routes_take_only_put(admin_client_api, user, method):
    for route in ("make_admin", "revoke_admin"):
        response = getattr(admin_client_api, method)(f"/api/user/{user.pk}/{route}")
        assert response.status_code == 405


# --- Audit: LogEntry, as the admin site's history shows it ---------------------------------


def _entries():
    return list(LogEntry.objects.order_by("pk"))


def test_update_is_logged_with_the_changed_fields(admin_client_api, admin_user, user):
    admin_client_api.patch(f"/api/user/{user.pk}", {"first_name": "New", "active": False})
    [entry] = _entries()
    assert (entry.user_id, entry.object_id, entry.action_flag) == (
        admin_user.pk,
        str(user.pk),
        CHANGE,
    )
    assert entry.content_type == ContentType.objects.get_for_model(User)
    assert json.loads(entry.change_message) == [{"changed": {"fields": ["First name", "Active"]}}]
    assert entry.get_change_message() == "Changed First name and Active."


def test_delete_is_logged(admin_client_api, admin_user, user):
    username = user.username
    admin_client_api.delete(f"/api/user/{user.pk}")
    [entry] = _entries()
    assert (entry.user_id, entry.object_id, entry.object_repr, entry.action_flag) == (
        admin_user.pk,
        str(user.pk),
        username,
        DELETION,
    )


def test_make_admin_is_logged(admin_client_api, admin_user, user):
    admin_client_api.put(f"/api/user/{user.pk}/make_admin")
    [entry] = _entries()
    assert (entry.user_id, entry.object_id, entry.action_flag, entry.change_message) == (
        admin_user.pk,
        str(user.pk),
        CHANGE,
        "Granted admin privileges.",
    )


def test_revoke_admin_is_logged(superuser_client_api, superuser):
    other = AdminFactory()
    superuser_client_api.put(f"/api/user/{other.pk}/revoke_admin")
    [entry] = _entries()
    assert (entry.user_id, entry.object_id, entry.action_flag, entry.change_message) == (
        superuser.pk,
        str(other.pk),
        CHANGE,
        "Revoked admin privileges.",
    )


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("patch", "/api/user/{pk}", {"active": False}),
        ("delete", "/api/user/{pk}", None),
        ("put", "/api/user/{pk}/make_admin", None),
        ("put", "/api/user/{pk}/revoke_admin", None),
    ],
)
def test_refused_actions_are_not_logged(admin_client_api, method, path, body):
    other = AdminFactory()
    response = getattr(admin_client_api, method)(path.format(pk=other.pk), body)
    assert response.status_code in (400, 403)
    assert _entries() == []


def test_an_api_action_shows_in_the_admin_sites_recent_actions(admin_client_api, admin_user, user):
    from django.test import Client

    admin_client_api.put(f"/api/user/{user.pk}/make_admin")
    browser = Client()
    browser.force_login(admin_user)
    page = browser.get("/admin/").content.decode()
    assert user.username in page
    history = browser.get(f"/admin/accounts/user/{user.pk}/history/").content.decode()
    assert "Granted admin privileges." in history


# --- Query counts: constant whatever the page size --------------------------------------


@pytest.fixture
def many_users(db):
    User.objects.bulk_create(
        [User(username=f"many{i}", email=f"many{i}@example.com") for i in range(60)]
    )


@pytest.mark.parametrize(
    ("query", "queries"),
    [
        ("", 2),
        ("&search=many", 3),
        ("&role=USER", 2),
        ("&active=true", 2),
        ("&ordering=-created_at", 2),
    ],
)
def test_list_runs_the_same_queries_for_any_page_size(
    admin_client_api, many_users, django_assert_num_queries, query, queries
):
    # Authentication (1); the page, with the tallies' count and whether any lock is in
    # force beside each row (1); a search reads its matches' ids first (1 more).
    for size in (5, 50):
        with django_assert_num_queries(queries):
            response = admin_client_api.get(f"/api/user/?page_size={size}{query}")
        assert len(response.json()["results"]) == size


def test_list_reads_the_locks_in_one_more_query_while_some_are_in_force(
    admin_client_api, many_users, django_assert_num_queries
):
    for _ in range(5):
        lockout.record_failure("someone-else")

    for size in (5, 50):
        with django_assert_num_queries(3):
            response = admin_client_api.get(f"/api/user/?page_size={size}")
        assert len(response.json()["results"]) == size


@pytest.mark.parametrize("query", ["", "?search=many", "?role=USER", "?ordering=-last_login"])
def test_list_reads_only_the_columns_of_user_objects(admin_client_api, many_users, query):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client_api.get(f"/api/user/{query}")

    assert response.status_code == 200
    page = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    # The page, not the ids a search reads first (they are the only column).
    page = [sql for sql in page if "LIMIT" in sql and not sql.startswith("WITH matches")]
    assert len(page) == 1
    assert "password" not in page[0]
    assert "is_superuser" not in page[0]


def test_an_empty_filter_value_filters_nothing(admin_client_api, many_users):
    everyone = admin_client_api.get("/api/user/?page_size=100").json()

    assert admin_client_api.get("/api/user/?page_size=100&role=&active=").json() == everyone


@pytest.mark.parametrize(
    ("method", "path", "body", "queries"),
    [
        # Authentication; the target; its lock.
        ("get", "/api/user/{pk}", {}, 3),
        # + username and email uniqueness checks; the locking read; the update;
        # the history entry, its admin_change event and the email_changed
        # event; 4 savepoint statements (service, save); the lock for the answer.
        ("patch", "/api/user/{pk}", {"username": "new{n}", "email": "n{n}@example.com"}, 14),
        # + ending the sessions (one UPDATE) instead of the checks.
        ("patch", "/api/user/{pk}", {"active": False}, 12),
        # + the locking read; the history entry; the delete and its cascades
        # (history, groups, permissions, security events, sessions, legacy
        # token rows, events it acted in).
        ("delete", "/api/user/{pk}", {}, 14),
        # + the locking read; the update; the history entry and its event.
        ("put", "/api/user/{pk}/make_admin", {}, 10),
    ],
)
def test_detail_routes_run_a_fixed_number_of_queries(
    admin_client_api, django_assert_num_queries, method, path, body, queries
):
    """The same count for a target with one live token as with five."""
    ContentType.objects.get_for_model(User)  # cached for the process, as in a server
    for tokens in (1, 5):
        target = UserFactory()
        for _ in range(tokens):
            token_pair(target)
        data = {
            key: value.format(n=tokens) if isinstance(value, str) else value
            for key, value in body.items()
        }
        with django_assert_num_queries(queries):
            response = getattr(admin_client_api, method)(path.format(pk=target.pk), data)
        assert response.status_code == 200, response.content
