"""accounts.shaping makes of users, sessions and events exactly what DRF's own serializers make.

Where the database writes the objects (PostgreSQL), the rendered bytes are compared.
"""

import zoneinfo
from datetime import UTC, datetime

import orjson
import pytest
from django.utils import timezone
from rest_framework import serializers

from accounts import events, lockout, sessions
from accounts.clients import Client
from accounts.models import EventType, Role, SecurityEvent, Session, User
from accounts.serializers import (
    AdminUserSerializer,
    EventSerializer,
    SessionSerializer,
    UserSerializer,
)
from accounts.shaping import as_dicts, columns, object_sql, rows, shape
from accounts.tests.factories import UserFactory, token_pair
from project.renderers import JSONRenderer

pytestmark = pytest.mark.django_db


def _drf(serializer_class, items, context=None):
    """What DRF's own Serializer.to_representation() makes of each item."""
    return [
        dict(serializer_class(item, context=context or {}).to_representation(item))
        for item in items
    ]


def _rendered(items):
    return JSONRenderer().render(list(items))


@pytest.fixture
def varied_users():
    UserFactory(first_name="Zoë 用户 \U0001f600", last_login=None)
    UserFactory(
        role=Role.ADMIN,
        is_active=False,
        last_login=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),  # no microseconds
    )
    UserFactory(last_name="", last_login=datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC))
    return User.objects.order_by("id")


def test_rows_of_columns_are_shaped_as_drf_shapes_users(varied_users):
    rows = varied_users.values(*columns(UserSerializer, User.objects.all()))

    assert shape(UserSerializer(), rows) == _drf(UserSerializer, varied_users)


def test_admin_list_rows_of_the_user_objects_columns_are_shaped_as_drf_shapes_them(
    varied_users,
):
    # The admin list reads the user object's columns; its list serializer adds the locks.
    rows = varied_users.values(*columns(UserSerializer, User.objects.all()))

    assert AdminUserSerializer(rows, many=True).data == _drf(AdminUserSerializer, varied_users)


@pytest.mark.parametrize("serializer_class", [UserSerializer, AdminUserSerializer])
def test_model_instances_are_shaped_as_drf_shapes_them(varied_users, serializer_class):
    users = list(varied_users)

    assert shape(serializer_class(), users) == _drf(serializer_class, users)
    assert serializer_class(users, many=True).data == _drf(serializer_class, users)


def test_shapes_follow_the_active_time_zone(varied_users):
    with timezone.override(zoneinfo.ZoneInfo("America/St_Johns")):  # -03:30 / -02:30
        shaped = shape(
            UserSerializer(), varied_users.values(*columns(UserSerializer, User.objects.all()))
        )

        assert shaped == _drf(UserSerializer, varied_users)
    assert shaped[1]["last_login"] == "2026-03-04T01:36:07-03:30"


def test_the_user_objects_columns_leave_out_the_password():
    assert columns(UserSerializer, User.objects.all()) == [
        "id",
        "username",
        "email",
        "email_verified",
        "pending_email",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "created_at",
        "updated_at",
        "last_login",
    ]


@pytest.fixture
def varied_sessions(user):
    for agent in ["Firefox", "", "Ünïcode agent"]:
        token_pair(user)
        Session.objects.filter(user_agent="").update(user_agent=agent)
    current = Session.objects.order_by("created_at").last()
    return sessions.live_sessions(user.pk, current.pk)


def test_rows_of_sessions_are_shaped_as_drf_shapes_them(varied_sessions):
    shaped = SessionSerializer(rows(varied_sessions, SessionSerializer), many=True).data

    assert _rendered(shaped) == _rendered(_drf(SessionSerializer, varied_sessions))
    assert [item["current"] for item in as_dicts(shaped)].count(True) == 1


def test_sessions_read_their_columns_and_the_current_annotation(varied_sessions):
    assert columns(SessionSerializer, varied_sessions) == [
        "id",
        "created_at",
        "last_used_at",
        "expires_at",
        "ip_address",
        "user_agent",
        "current",
    ]


def test_rows_of_events_are_shaped_as_drf_shapes_them(user, admin_user):
    events.record(EventType.LOGIN, user=user, client=Client("203.0.113.7", "curl/8"))
    events.record(EventType.ADMIN_CHANGE, user=user, actor=admin_user, session_id="s" * 22)
    history = SecurityEvent.objects.order_by("id")

    assert columns(EventSerializer, history) == [*EventSerializer.Meta.fields]
    shaped = EventSerializer(rows(history, EventSerializer), many=True).data

    assert _rendered(shaped) == _rendered(_drf(EventSerializer, history))


class _WithMethodField(UserSerializer):
    greeting = serializers.SerializerMethodField()

    def get_greeting(self, user):
        return f"Hello {user.username}"


class _WithDottedSource(UserSerializer):
    meta_label = serializers.CharField(source="_meta.label")


class _WithOtherFieldClass(UserSerializer):
    id = serializers.FloatField()


class _WithMethodAsSource(UserSerializer):
    full_name = serializers.CharField(source="get_full_name")


@pytest.mark.parametrize(
    "serializer_class",
    [_WithMethodField, _WithDottedSource, _WithOtherFieldClass, _WithMethodAsSource],
)
def test_fields_other_than_plain_columns_are_shaped_by_drfs_own_steps(
    varied_users, serializer_class
):
    users = list(varied_users)

    assert columns(serializer_class, User.objects.all()) is None
    assert shape(serializer_class(), users) == _drf(serializer_class, users)


def test_an_empty_list_is_empty():
    assert shape(UserSerializer(), User.objects.none()) == []


# What strings and datetimes PostgreSQL must write as the renderer does.
ODD_TEXT = (
    'quote " backslash \\ tab \t newline \n return \r \b \f \x01 \x1f del \x7f '
    "separators \u2028 \u2029 ünïcødé 用户 \U0001f600"
)
ODD_TIMES = [
    datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC),
    datetime(2026, 3, 4, 5, 6, 7, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
]


@pytest.fixture
def odd_users():
    for index, moment in enumerate(ODD_TIMES):
        user = UserFactory(first_name=ODD_TEXT[index:], last_name=ODD_TEXT, last_login=moment)
        User.objects.filter(pk=user.pk).update(created_at=moment, updated_at=ODD_TIMES[-1 - index])
    UserFactory(last_login=None, pending_email="new@example.com", is_active=False)
    return User.objects.order_by("id")


def test_on_postgresql_the_database_writes_the_user_objects(on_postgres, odd_users):
    shaped = UserSerializer(rows(odd_users, UserSerializer), many=True).data

    assert {type(item) for item in shaped} == {orjson.Fragment}
    assert _rendered(shaped) == _rendered(_drf(UserSerializer, odd_users))


@pytest.mark.parametrize("locked", [False, True])
def test_on_postgresql_admin_objects_the_database_wrote_carry_their_locks(
    on_postgres, odd_users, locked, settings
):
    if locked:
        for _ in range(settings.LOGIN_LOCKOUT_THRESHOLD):
            lockout.record_failure(odd_users[1].username)
    listed = lockout.with_any_lock(rows(odd_users, UserSerializer))

    shaped = AdminUserSerializer(listed, many=True).data

    assert _rendered(shaped) == _rendered(_drf(AdminUserSerializer, odd_users))
    assert (as_dicts(shaped)[1]["locked_until"] is not None) is locked


def test_on_postgresql_the_database_writes_sessions_and_events(on_postgres, user, admin_user):
    for address in ["192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", None]:
        client = Client(address, ODD_TEXT)
        token_pair(user, client)
        events.record(EventType.LOGIN, user=user, client=client)
    events.record(EventType.ADMIN_CHANGE, user=user, actor=admin_user, session_id="s" * 22)
    live = sessions.live_sessions(user.pk, Session.objects.order_by("created_at").first().pk)
    history = SecurityEvent.objects.order_by("id")

    for serializer_class, queryset in [(SessionSerializer, live), (EventSerializer, history)]:
        shaped = serializer_class(rows(queryset, serializer_class), many=True).data
        assert {type(item) for item in shaped} == {orjson.Fragment}
        assert _rendered(shaped) == _rendered(_drf(serializer_class, queryset))


def test_outside_utc_python_shapes_the_rows(on_postgres, varied_users):
    with timezone.override(zoneinfo.ZoneInfo("America/St_Johns")):
        assert object_sql(UserSerializer, varied_users) is None
        shaped = UserSerializer(rows(varied_users, UserSerializer), many=True).data

        assert _rendered(shaped) == _rendered(_drf(UserSerializer, varied_users))


class _WithIntegerChoices(UserSerializer):
    role = serializers.ChoiceField(choices=[(1, "one")], read_only=True)


def test_choices_whose_keys_are_not_their_stored_strings_are_shaped_by_python(
    on_postgres, odd_users
):
    assert object_sql(UserSerializer, odd_users) is not None
    assert object_sql(_WithIntegerChoices, odd_users) is None
