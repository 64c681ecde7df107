"""The token pairs handed to API clients: issue, rotate, revoke.

Built on SimpleJWT's RefreshToken and its blacklist app. What is added is
what the contract needs beyond them: the response shape, a link from each
access token to its refresh token (so logout ends both), and a refresh that
checks the user still exists, is active and has the same password.
"""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.models import User

REFRESH_JTI_CLAIM = "refresh_jti"


def issue_token_pair(user):
    """Return a new refresh token and its access token as the login response body."""
    refresh = RefreshToken.for_user(user)
    access = refresh.access_token
    access[REFRESH_JTI_CLAIM] = refresh[api_settings.JTI_CLAIM]
    return {
        "access_token": str(access),
        "refresh_token": str(refresh),
        "token_type": "Bearer",
        "expires_in": int(access.lifetime.total_seconds()),
    }


def rotate_refresh_token(raw_token):
    """Spend a refresh token and return a new pair; raise TokenError if it is not usable."""
    refresh = RefreshToken(raw_token)
    user = User.objects.filter(pk=refresh.get(api_settings.USER_ID_CLAIM), is_active=True).first()
    if user is None or refresh.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
        user.password
    ):
        raise TokenError(_("Token is invalid or expired"))
    with transaction.atomic():
        _blacklist(refresh)
        return issue_token_pair(user)


def revoke_refresh_token(raw_token):
    """Blacklist a refresh token, ending it and the access tokens issued with it."""
    _blacklist(RefreshToken(raw_token))


def revoke_user_tokens(user):
    """Blacklist every outstanding refresh token of a user."""
    live = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )


def _blacklist(refresh):
    """Blacklist one token exactly once.

    RefreshToken.blacklist() uses get_or_create, so two concurrent requests
    spending the same token would both succeed; the one-to-one constraint on
    BlacklistedToken.token lets only the first insert win.
    """
    outstanding = OutstandingToken.objects.filter(jti=refresh[api_settings.JTI_CLAIM]).first()
    if outstanding is None:
        raise TokenError(_("Token is invalid or expired"))
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError:
        raise TokenError(_("Token is blacklisted")) from None
