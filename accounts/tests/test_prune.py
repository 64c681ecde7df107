"""manage.py prune, and SimpleJWT's flushexpiredtokens beside it."""

from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from accounts import services
from accounts.clients import Client
from accounts.models import Session
from accounts.tests.factories import token_pair

pytestmark = pytest.mark.django_db


def _prune():
    out = StringIO()
    call_command("prune", stdout=out)
    return out.getvalue()


def _legacy_token(user, expires_at):
    return OutstandingToken.objects.create(
        user=user, jti=f"legacy-{expires_at.timestamp()}", token="x", expires_at=expires_at
    )


def test_prune_deletes_ended_and_expired_sessions_and_keeps_live_ones(user, settings):
    live = token_pair(user)
    services.logout(refresh_token=token_pair(user)["refresh_token"], client=Client())
    lifetime = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
    with time_machine.travel(timezone.now() - lifetime - timedelta(minutes=1)):
        token_pair(user)

    output = _prune()

    assert "Deleted 2 ended or expired sessions." in output
    pair = services.token_refresh(refresh_token=live["refresh_token"], client=Client())
    assert pair["refresh_token"]
    assert Session.objects.count() == 1


def test_prune_deletes_expired_blacklist_rows_left_from_before_sessions(user):
    now = timezone.now()
    kept = _legacy_token(user, now + timedelta(days=1))
    _legacy_token(user, now - timedelta(days=1))

    _prune()

    assert list(OutstandingToken.objects.all()) == [kept]


def test_flushexpiredtokens_keeps_working(user):
    now = timezone.now()
    kept = _legacy_token(user, now + timedelta(days=1))
    _legacy_token(user, now - timedelta(days=1))

    call_command("flushexpiredtokens")

    assert list(OutstandingToken.objects.all()) == [kept]
