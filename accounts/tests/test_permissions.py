"""The DRF permission classes: a view-level role check and a per-action policy lookup."""

import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.test import APIRequestFactory

from accounts import policies
from accounts.models import Role, User
from accounts.permissions import IsAdminRole, UserPolicy
from accounts.views.users import UserAdminViewSet

factory = APIRequestFactory()
ADMIN = User(pk=1, username="admin", role=Role.ADMIN)
OTHER_ADMIN = User(pk=2, username="other", role=Role.ADMIN)
USER = User(pk=3, username="user", role=Role.USER)
DETAIL_ACTIONS = {
    "get": "retrieve",
    "put": "update",
    "patch": "partial_update",
    "delete": "destroy",
}


def _view(method, actions, actor):
    """A viewset instance set up as DRF sets it up for one request."""
    request = getattr(factory, method)("/api/user/2")
    request.user = actor
    view = UserAdminViewSet(action_map=actions, request=request, format_kwarg=None)
    view.action = actions.get(method)
    return request, view


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        (AnonymousUser(), False),
        (USER, False),
        (ADMIN, True),
        (User(pk=4, role=Role.ADMIN, is_active=False), False),
    ],
)
def test_is_admin_role_admits_active_admins_only(actor, expected):
    request, view = _view("get", {"get": "list"}, actor)
    assert IsAdminRole().has_permission(request, view) is expected


def test_is_admin_role_ignores_is_staff_and_looks_at_the_role():
    # is_staff is derived from the role here; a superuser flag alone is not enough.
    odd = User(pk=5, role=Role.USER, is_superuser=True)
    request, view = _view("get", {"get": "list"}, odd)
    assert IsAdminRole().has_permission(request, view) is False


@pytest.mark.parametrize(("method", "action"), DETAIL_ACTIONS.items())
@pytest.mark.parametrize("target", [ADMIN, OTHER_ADMIN, USER], ids=["self", "admin", "user"])
def test_user_policy_asks_the_rule_of_the_action(method, action, target):
    request, view = _view(method, DETAIL_ACTIONS, ADMIN)
    expected = UserPolicy.rules[action](ADMIN, target)
    assert UserPolicy().has_object_permission(request, view, target) is expected


def test_user_policy_maps_every_detail_action_to_a_policy_function():
    assert set(UserPolicy.rules.values()) <= {
        getattr(policies, name) for name in dir(policies) if name.startswith("can_")
    }
    assert set(UserPolicy.rules) == {
        *DETAIL_ACTIONS.values(),
        "make_admin",
        "revoke_admin",
        "logout_all",
        "unlock",
    }


def test_user_policy_follows_the_method_of_a_browsable_api_form():
    """The browsable API renders the PUT form of a GET page under a cloned PUT request."""
    _, view = _view("get", DETAIL_ACTIONS, ADMIN)
    put = factory.put("/api/user/2")
    put.user = ADMIN
    assert view.action == "retrieve"
    assert UserPolicy().has_object_permission(put, view, OTHER_ADMIN) is False
    get = factory.get("/api/user/2")
    get.user = ADMIN
    assert UserPolicy().has_object_permission(get, view, OTHER_ADMIN) is True


def test_user_policy_refuses_an_action_without_a_rule():
    request, view = _view("options", {"get": "retrieve"}, ADMIN)
    assert UserPolicy().has_object_permission(request, view, USER) is False


@pytest.mark.django_db
def test_the_browsable_api_offers_no_edit_form_for_another_admin(admin_user):
    from django.test import Client

    from accounts.tests.factories import AdminFactory, UserFactory

    other, plain = AdminFactory(), UserFactory()
    browser = Client()
    browser.force_login(admin_user)
    other_page = browser.get(f"/api/user/{other.pk}", HTTP_ACCEPT="text/html").content.decode()
    user_page = browser.get(f"/api/user/{plain.pk}", HTTP_ACCEPT="text/html").content.decode()
    assert 'name="first_name"' in user_page
    assert 'name="first_name"' not in other_page
    assert "button-form" in user_page and ">DELETE<" in user_page
    assert ">DELETE<" not in other_page


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_session_write_without_a_csrf_token_is_403(admin_user, method):
    from django.test import Client

    from accounts.tests.factories import UserFactory

    target = UserFactory()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    response = getattr(browser, method)(
        f"/api/user/{target.pk}", {"first_name": "x"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert User.objects.filter(pk=target.pk, first_name="x").count() == 0
    assert User.objects.filter(pk=target.pk).exists()
