import pytest
from django.db import IntegrityError

from accounts.models import Role, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_new_user_has_user_role_and_is_active():
    user = User.objects.create_user("alice", "alice@example.com", "x")

    assert (user.role, user.is_active, user.is_superuser) == (Role.USER, True, False)


def test_create_superuser_is_admin():
    user = User.objects.create_superuser("root", "root@example.com", "x")

    assert (user.role, user.is_superuser, user.is_staff) == (Role.ADMIN, True, True)


@pytest.mark.parametrize(("role", "staff"), [(Role.ADMIN, True), (Role.USER, False)])
def test_is_staff_follows_role(role, staff):
    assert UserFactory.build(role=role).is_staff is staff


def test_database_refuses_username_differing_only_in_case():
    UserFactory(username="alice")

    with pytest.raises(IntegrityError):
        User.objects.create(username="ALICE", email="other@example.com")


def test_database_refuses_email_differing_only_in_case():
    UserFactory(email="alice@example.com")

    with pytest.raises(IntegrityError):
        User.objects.create(username="other", email="ALICE@example.COM")


def test_database_refuses_unknown_role():
    with pytest.raises(IntegrityError):
        User.objects.create(username="x", email="x@example.com", role="ROOT")


def test_database_refuses_superuser_without_admin_role():
    with pytest.raises(IntegrityError):
        User.objects.create(username="x", email="x@example.com", is_superuser=True)


def test_natural_key_lookup_is_case_insensitive_and_nfkc():
    user = UserFactory(username="admin")

    assert User.objects.get_by_natural_key("ＡＤＭＩＮ") == user


def test_timestamps_are_set_on_create_and_update():
    user = UserFactory()
    created, updated = user.created_at, user.updated_at

    user.first_name = "Changed"
    user.save()

    assert user.created_at == created
    assert user.updated_at > updated
