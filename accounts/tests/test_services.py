import pytest
from django.core.exceptions import ValidationError
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import jwt, services
from accounts.models import Role, User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_user_register_always_creates_role_user():
    user = services.user_register(
        username="alice", email="alice@example.com", password="Correct-Horse-42"
    )

    assert user.role == Role.USER
    assert user.check_password("Correct-Horse-42")


def test_user_register_normalizes_username_and_email_domain():
    user = services.user_register(
        username="ａｌｉｃｅ", email="Alice@EXAMPLE.com", password="Correct-Horse-42"
    )

    assert (user.username, user.email) == ("alice", "Alice@example.com")


def test_user_register_lost_race_on_username_is_a_validation_error():
    """The serializer's check passed, but another request inserted first."""
    UserFactory(username="alice")

    with pytest.raises(ValidationError) as caught:
        services.user_register(username="Alice", email="a@example.com", password="x")

    assert caught.value.message_dict == {"username": ["A user with that username already exists."]}
    assert User.objects.count() == 1


def test_user_register_lost_race_on_email_is_a_validation_error():
    UserFactory(email="alice@example.com")

    with pytest.raises(ValidationError) as caught:
        services.user_register(username="other", email="ALICE@example.com", password="x")

    assert caught.value.message_dict == {"email": ["A user with that email already exists."]}


def test_admin_create_makes_superuser_admin():
    user = services.admin_create(username="root", email="root@example.com", password="x")

    assert (user.role, user.is_superuser) == (Role.ADMIN, True)


def test_user_change_password_blacklists_outstanding_refresh_tokens(user):
    jwt.issue_token_pair(user)
    jwt.issue_token_pair(user)

    services.user_change_password(user=user, password="Another-Horse-43")

    assert not OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).exists()


def test_deactivating_a_user_blacklists_their_refresh_tokens(user):
    jwt.issue_token_pair(user)

    services.user_update(user=user, is_active=False)

    assert not OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True).exists()
