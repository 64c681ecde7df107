import zoneinfo
from datetime import UTC, datetime

import pytest
from django.utils import timezone

from accounts.serializers import UserSerializer, user_data
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
