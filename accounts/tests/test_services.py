import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import UniqueConstraint
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.exceptions import NotAllowed, NotFound
from accounts.models import Role, User
from accounts.tests.factories import AdminFactory, UserFactory, token_pair

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


def test_a_lost_race_on_an_email_naming_a_field_is_reported_on_email():
    """PostgreSQL's message quotes the value; the constraint's name decides."""
    UserFactory(email="username@example.com")

    with pytest.raises(ValidationError) as caught:
        services.user_register(username="other", email="USERNAME@example.com", password="x")

    assert caught.value.message_dict == {"email": ["A user with that email already exists."]}


def test_a_lost_race_on_the_exact_username_is_reported_on_username():
    """On PostgreSQL AbstractUser's own unique column constraint may fire first."""
    UserFactory(username="alice", email="first@example.com")

    with pytest.raises(ValidationError) as caught:
        services.user_register(username="alice", email="email@example.com", password="x")

    assert caught.value.message_dict == {"username": ["A user with that username already exists."]}


def test_every_unique_constraint_of_the_user_model_names_its_field():
    names = {c.name for c in User._meta.constraints if isinstance(c, UniqueConstraint)}

    assert names <= services.UNIQUE_CONSTRAINT_FIELDS.keys()


def test_admin_create_makes_superuser_admin():
    user = services.admin_create(username="root", email="root@example.com", password="x")

    assert (user.role, user.is_superuser) == (Role.ADMIN, True)


def test_user_change_password_ends_every_session(user):
    token_pair(user)
    token_pair(user)

    services.user_change_password(user=user, password="Another-Horse-43")

    assert not user.sessions.filter(ended_at__isnull=True).exists()
    assert set(user.sessions.values_list("end_reason", flat=True)) == {"password_changed"}


def test_deactivating_a_user_ends_every_session(user):
    token_pair(user)

    services.user_update(user=user, is_active=False)

    assert user.sessions.get().end_reason == "deactivated"


def test_user_update_that_changes_nothing_runs_no_query(user, django_assert_num_queries):
    before = user.updated_at

    with django_assert_num_queries(0):
        services.user_update(user=user, first_name=user.first_name, last_name=user.last_name)

    user.refresh_from_db()
    assert user.updated_at == before


def test_user_update_compares_values_as_they_would_be_stored(user, django_assert_num_queries):
    """A username in compatibility form and an upper-case email domain normalize to the same."""
    local, domain = user.email.split("@")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in user.username)

    with django_assert_num_queries(0):
        services.user_update(user=user, username=fullwidth, email=f"{local}@{domain.upper()}")


def test_user_update_that_changes_a_field_bumps_updated_at(user):
    before = user.updated_at

    services.user_update(user=user, first_name=user.first_name + "x")

    user.refresh_from_db()
    assert user.updated_at > before


def test_user_update_keeps_a_deactivation_made_since_the_user_was_read(user):
    User.objects.filter(pk=user.pk).update(is_active=False)  # an admin, meanwhile

    services.user_update(user=user, first_name="Changed")

    user.refresh_from_db()
    assert (user.first_name, user.is_active) == ("Changed", False)


def test_user_update_of_an_account_deleted_since_it_was_read_is_404(user):
    User.objects.filter(pk=user.pk).delete()

    with pytest.raises(NotFound):
        services.user_update(user=user, first_name="Changed")

    assert not User.objects.filter(pk=user.pk).exists()


def test_user_admin_update_that_changes_nothing_issues_no_update(admin_user, user):
    before = user.updated_at

    with CaptureQueriesContext(connection) as queries:
        services.user_admin_update(
            actor=admin_user, user=user, first_name=user.first_name, is_active=True
        )

    user.refresh_from_db()
    assert user.updated_at == before
    assert [q["sql"] for q in queries if q["sql"].startswith("UPDATE")] == []


def test_user_admin_update_writes_only_the_changed_fields(admin_user, user):
    before = user.updated_at

    with CaptureQueriesContext(connection) as queries:
        services.user_admin_update(
            actor=admin_user, user=user, username=user.username, first_name="Changed"
        )

    [update] = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert '"first_name"' in update
    assert '"username"' not in update
    user.refresh_from_db()
    assert (user.first_name, user.updated_at > before) == ("Changed", True)


def test_users_delete_deletes_all_or_none(admin_user):
    victims = [UserFactory(), AdminFactory()]

    with pytest.raises(NotAllowed):
        services.users_delete(actor=admin_user, users=victims)

    assert User.objects.filter(pk__in=[v.pk for v in victims]).count() == 2
    assert LogEntry.objects.count() == 0
