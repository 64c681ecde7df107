import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.tokens import AccessToken

from accounts import jwt, services
from accounts.authentication import JWTAuthentication
from accounts.clients import Client
from accounts.models import SessionEndReason
from accounts.tests import claims
from accounts.tests.factories import UserFactory, token_pair

pytestmark = pytest.mark.django_db


def _authenticate(access_token):
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {access_token}")
    return JWTAuthentication().authenticate(request)


def _failure_code(access_token):
    with pytest.raises(AuthenticationFailed) as failure:
        _authenticate(access_token)
    return failure.value.detail["code"]


def test_authenticate_loads_the_whole_user_in_one_query(user):
    user.last_login = timezone.now()
    user.save()
    access = token_pair(user)["access_token"]

    with CaptureQueriesContext(connection) as queries:
        found, token = _authenticate(access)
        values = {field.attname: getattr(found, field.attname) for field in user._meta.fields}

    assert len(queries) == 1
    assert values == {field.attname: getattr(user, field.attname) for field in user._meta.fields}
    assert found.get_deferred_fields() == set()
    assert str(token) == access


def test_authenticate_picks_the_tokens_user(user):
    UserFactory()
    other = UserFactory()

    found, _ = _authenticate(token_pair(other)["access_token"])

    assert found.pk == other.pk


def test_authenticate_refuses_a_logged_out_session(user):
    pair = token_pair(user)
    services.logout(refresh_token=pair["refresh_token"], client=Client())

    assert _failure_code(pair["access_token"]) == "token_revoked"


@pytest.mark.parametrize("reason", SessionEndReason.values)
def test_authenticate_refuses_a_session_ended_for_any_reason(user, reason):
    pair = token_pair(user)
    user.sessions.update(ended_at=timezone.now(), end_reason=reason)

    assert _failure_code(pair["access_token"]) == "token_revoked"


def test_authenticate_accepts_a_session_when_another_is_logged_out(user):
    live = token_pair(user)
    services.logout(refresh_token=token_pair(user)["refresh_token"], client=Client())

    assert _authenticate(live["access_token"])[0].pk == user.pk


def test_authenticate_accepts_earlier_access_tokens_after_a_refresh(user):
    first = token_pair(user)
    second = services.token_refresh(refresh_token=first["refresh_token"], client=Client())

    assert _authenticate(first["access_token"])[0].pk == user.pk
    assert _authenticate(second["access_token"])[0].pk == user.pk


def test_authenticate_refuses_a_deleted_user(user):
    access = token_pair(user)["access_token"]
    user.delete()

    assert _failure_code(access) == "user_not_found"


def test_authenticate_refuses_an_inactive_user(user):
    access = token_pair(user)["access_token"]
    user.is_active = False
    user.save()

    assert _failure_code(access) == "user_inactive"


def test_authenticate_refuses_a_token_issued_before_a_password_change(user):
    # Set outside the services, which would also end the sessions.
    access = token_pair(user)["access_token"]
    user.set_password("Another-Passw0rd-1")
    user.save()

    assert _failure_code(access) == "password_changed"


def test_authenticate_refuses_a_token_without_a_session(user):
    # SimpleJWT's own for_user() tokens name no session.
    with pytest.raises(InvalidToken):
        _authenticate(str(AccessToken.for_user(user)))


def test_authenticate_refuses_a_session_the_service_never_issued(user):
    access = token_pair(user)["access_token"]
    forged = claims.resigned(jwt.SessionAccessToken, access, sid=claims.unknown_session_id())

    with pytest.raises(InvalidToken):
        _authenticate(forged)


def test_authenticate_refuses_another_users_session(user):
    access = token_pair(user)["access_token"]
    other_session = jwt.SessionAccessToken(token_pair(UserFactory())["access_token"]).session_id
    forged = claims.resigned(jwt.SessionAccessToken, access, sid=other_session)

    with pytest.raises(InvalidToken):
        _authenticate(forged)


def test_authenticate_refuses_a_pruned_session(user):
    access = token_pair(user)["access_token"]
    user.sessions.all().delete()

    with pytest.raises(InvalidToken):
        _authenticate(access)
