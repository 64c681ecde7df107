import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.tokens import AccessToken

from accounts import jwt
from accounts.authentication import JWTAuthentication
from accounts.tests.factories import UserFactory

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
    access = jwt.issue_token_pair(user)["access_token"]

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

    found, _ = _authenticate(jwt.issue_token_pair(other)["access_token"])

    assert found.pk == other.pk


def test_authenticate_refuses_a_logged_out_session(user):
    pair = jwt.issue_token_pair(user)
    jwt.revoke_refresh_token(pair["refresh_token"])

    assert _failure_code(pair["access_token"]) == "token_revoked"


def test_authenticate_accepts_a_session_when_another_is_logged_out(user):
    live = jwt.issue_token_pair(user)
    jwt.revoke_refresh_token(jwt.issue_token_pair(user)["refresh_token"])

    assert _authenticate(live["access_token"])[0].pk == user.pk


def test_authenticate_refuses_a_deleted_user(user):
    access = jwt.issue_token_pair(user)["access_token"]
    user.delete()

    assert _failure_code(access) == "user_not_found"


def test_authenticate_refuses_an_inactive_user(user):
    access = jwt.issue_token_pair(user)["access_token"]
    user.is_active = False
    user.save()

    assert _failure_code(access) == "user_inactive"


def test_authenticate_refuses_a_token_issued_before_a_password_change(user):
    access = jwt.issue_token_pair(user)["access_token"]
    user.set_password("Another-Passw0rd-1")
    user.save()

    assert _failure_code(access) == "password_changed"


def test_authenticate_refuses_an_access_token_without_its_refresh_token(user):
    # SimpleJWT's own for_user() tokens lack the claim our login flow adds.
    with pytest.raises(InvalidToken):
        _authenticate(str(AccessToken.for_user(user)))
