import zoneinfo
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from rest_framework import serializers

from accounts.models import Role, User
from accounts.serializers import (
    AdminUserSerializer,
    UserSerializer,
    columns,
    plain_fields,
    represent,
    user_data,
)
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("last_login", [None, datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)])
def test_user_data_is_the_user_serializers_data(user, last_login):
    user.last_login = last_login

    assert user_data(user) == UserSerializer(user).data


def test_user_data_follows_the_active_time_zone(user):
    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        data = user_data(user)

        assert data == UserSerializer(user).data
    assert data["created_at"].endswith("+09:00")


def test_user_data_serves_each_user_its_own_values(user):
    other = UserFactory(first_name="Other")

    assert (user_data(user)["id"], user_data(other)["id"]) == (user.pk, other.pk)
    assert user_data(other)["first_name"] == "Other"


def test_user_data_carries_a_serializer_bound_to_the_user(user):
    # The browsable API fills its PUT and PATCH forms from this instance.
    assert user_data(user).serializer.instance is user


# --- represent(): the user objects of a list, shaped as DRF shapes them ----------------


def _drf(serializer_class, users):
    """What DRF's own ListSerializer makes of `users` with `serializer_class`'s fields."""
    return [dict(serializer_class(user).to_representation(user)) for user in users]


@pytest.fixture
def varied_users():
    return [
        UserFactory(first_name="Zoë 用户 \U0001f600", last_login=None),
        UserFactory(
            role=Role.ADMIN,
            is_active=False,
            last_login=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),  # no microseconds
        ),
        UserFactory(
            last_name="", last_login=datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
        ),
    ]


@pytest.mark.parametrize("serializer_class", [UserSerializer, AdminUserSerializer])
def test_list_rows_from_the_database_are_shaped_as_drf_shapes_them(varied_users, serializer_class):
    names = columns(serializer_class, User)
    users = User.objects.order_by("id")
    rows = list(users.values(*names))

    assert represent(plain_fields(serializer_class, User), rows) == _drf(serializer_class, users)


@pytest.mark.parametrize("serializer_class", [UserSerializer, AdminUserSerializer])
def test_model_instances_are_shaped_as_drf_shapes_them(varied_users, serializer_class):
    fields = plain_fields(serializer_class, User)

    assert represent(fields, varied_users) == _drf(serializer_class, varied_users)
    assert serializer_class(varied_users, many=True).data == _drf(serializer_class, varied_users)


def test_list_rows_follow_the_active_time_zone(varied_users):
    users = User.objects.order_by("id")
    with timezone.override(zoneinfo.ZoneInfo("America/St_Johns")):  # -03:30 / -02:30
        shaped = represent(
            plain_fields(UserSerializer, User), users.values(*columns(UserSerializer, User))
        )

        assert shaped == _drf(UserSerializer, users)
    assert shaped[1]["last_login"] == "2026-03-04T01:36:07-03:30"


def test_list_columns_are_the_user_objects_and_never_the_password():
    assert columns(AdminUserSerializer, User) == [
        "id",
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "created_at",
        "updated_at",
        "last_login",
    ]


class _WithMethodField(UserSerializer):
    greeting = serializers.SerializerMethodField()

    def get_greeting(self, user):
        return f"Hello {user.username}"


class _WithDottedSource(UserSerializer):
    meta_label = serializers.CharField(source="_meta.label")


class _WithOtherFieldClass(UserSerializer):
    id = serializers.FloatField()


@pytest.mark.parametrize(
    "serializer_class", [_WithMethodField, _WithDottedSource, _WithOtherFieldClass]
)
def test_a_field_other_than_a_plain_column_leaves_the_list_to_drf(user, serializer_class):
    assert plain_fields(serializer_class, User) is None
    assert columns(serializer_class, User) is None
    assert serializer_class([user], many=True).data == _drf(serializer_class, [user])
