import functools

from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts import jwt
from accounts.models import Session


@functools.cache
def _user_sql(model):
    """Return the SQL selecting a user by id, with the state of one of its sessions.

    Written as SQL for Manager.raw() because compiling the equivalent ORM
    query (annotate(Exists(...)).get(), or even annotate(RawSQL(...)).get())
    on every request cost more CPU than SimpleJWT's own lookup, and raw()
    less (figures: README, Performance; bench/profile_inprocess.py).
    `session_found` is null when the user has no such session (the service
    never issued it, or it was pruned), `session_ended` true once it ended.
    Names come from model metadata; both values are passed as parameters.
    """
    session = Session._meta
    user_column = session.get_field("user").column
    return (
        "SELECT u.*, s.id AS session_found,"  # noqa: S608
        f" s.{session.get_field('ended_at').column} IS NOT NULL AS session_ended"
        f" FROM {model._meta.db_table} AS u"
        f" LEFT JOIN {session.db_table} AS s ON s.{session.pk.column} = %s"
        f" AND s.{user_column} = u.{model._meta.pk.column}"
        f" WHERE u.{model._meta.pk.column} = %s"
    )


class JWTAuthentication(authentication.JWTAuthentication):
    """SimpleJWT's authentication that also refuses access tokens of an ended session.

    Every access token names its session (accounts.jwt), whose row says
    whether it has ended (logout, reuse, password change...). SimpleJWT has
    no such check, and its get_user() cannot take one, so the lookup is
    written out here to fetch the user and the session state in one query.
    The token's claims were checked for form by accounts.jwt.SessionAccessToken.
    """

    def get_user(self, validated_token):
        user = next(iter(self._fetch_user(validated_token)), None)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(api_settings.REVOKE_TOKEN_CLAIM) != jwt.password_claim(user):
            raise AuthenticationFailed(
                _("The user's password has been changed."), code="password_changed"
            )
        if user.session_found is None:
            raise InvalidToken(jwt.INVALID)
        if user.session_ended:
            raise AuthenticationFailed(_("Token has been revoked."), code="token_revoked")
        return user

    def _fetch_user(self, token):
        """The token's user with `session_found` and `session_ended` attributes."""
        sql = _user_sql(self.user_model)
        return self.user_model._default_manager.raw(sql, [token.session_id, token.user_id])


class JWTScheme(SimpleJWTScheme):
    """Describe our subclass as the bearer scheme in the OpenAPI document."""

    target_class = "accounts.authentication.JWTAuthentication"
