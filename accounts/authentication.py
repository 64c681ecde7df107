import functools

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts import jwt

# Whether the refresh token named by the access token is blacklisted.
# Table names come from model metadata; the jti is passed as a parameter.
_LOGGED_OUT_SQL = (
    f"EXISTS (SELECT 1 FROM {BlacklistedToken._meta.db_table} AS b"  # noqa: S608
    f" JOIN {OutstandingToken._meta.db_table} AS o ON b.token_id = o.id"
    " WHERE o.jti = %s)"
)


@functools.cache
def _user_sql(model, id_field):
    """Return the SQL selecting a user by `id_field`, and its session's blacklist state.

    Written as SQL for Manager.raw() because compiling the equivalent ORM
    query (annotate(Exists(...)).get(), or even annotate(RawSQL(...)).get())
    on every request cost more CPU than the rest of the authentication:
    measured in-process on PostgreSQL, ~375 us for the annotated get()
    against ~195 us for raw(), and ~320 us for SimpleJWT's stock get().
    Names come from model metadata; both values are passed as parameters.
    """
    column = model._meta.get_field(id_field).column
    return (
        f"SELECT u.*, {_LOGGED_OUT_SQL} AS logged_out"  # noqa: S608
        f" FROM {model._meta.db_table} AS u WHERE u.{column} = %s"
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
        user = self._fetch_user(user_id, refresh_jti)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
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

    def _fetch_user(self, user_id, refresh_jti):
        """Return the token's user with a `logged_out` attribute, or None."""
        id_field = self.user_model._meta.get_field(api_settings.USER_ID_FIELD)
        # get_prep_value() refuses a malformed id as the ORM's get() would.
        params = [refresh_jti, id_field.get_prep_value(user_id)]
        sql = _user_sql(self.user_model, api_settings.USER_ID_FIELD)
        return next(iter(self.user_model._default_manager.raw(sql, params)), None)


class JWTScheme(SimpleJWTScheme):
    """Describe our subclass as the bearer scheme in the OpenAPI document."""

    target_class = "accounts.authentication.JWTAuthentication"
