from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import jwt

# Whether the refresh token named by the access token is blacklisted. Written
# as SQL because compiling the equivalent Exists() subquery on every request
# cost more CPU than the rest of the authentication.
# Table names come from model metadata; the jti is passed as a parameter.
_LOGGED_OUT_SQL = (
    f"EXISTS (SELECT 1 FROM {BlacklistedToken._meta.db_table} AS b"  # noqa: S608
    f" JOIN {OutstandingToken._meta.db_table} AS o ON b.token_id = o.id"
    " WHERE o.jti = %s)"
)


class JWTAuthentication(authentication.JWTAuthentication):
    """SimpleJWT's authentication that also refuses access tokens of a logged-out session.

    An access token carries the id of the refresh token it was issued with;
    once that refresh token is blacklisted (logout, rotation, password change)
    the access token stops working at once. SimpleJWT has no such check, and
    its get_user() cannot take one, so the lookup is written out here to fetch
    the user and the blacklist state in a single query.
    """

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
            refresh_jti = validated_token[jwt.REFRESH_JTI_CLAIM]
        except KeyError:
            raise InvalidToken(_("Token contained no recognizable user identification")) from None
        try:
            user = self.user_model._default_manager.annotate(
                logged_out=RawSQL(_LOGGED_OUT_SQL, (refresh_jti,))  # noqa: S611
            ).get(**{api_settings.USER_ID_FIELD: user_id})
        except self.user_model.DoesNotExist:
            raise AuthenticationFailed(_("User not found"), code="user_not_found") from None
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(
            user.password
        ):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        if user.logged_out:
            raise AuthenticationFailed(_("Token has been revoked."), code="token_revoked")
        return user


class JWTScheme(SimpleJWTScheme):
    """Describe our subclass as the bearer scheme in the OpenAPI document."""

    target_class = "accounts.authentication.JWTAuthentication"
