import functools

from django.db import connections, router
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

    Written as SQL, run on a cursor and turned into a user with
    Model.from_db(), because each of the ORM's ways costs more CPU than the
    rest of the authentication: an annotated get() more than SimpleJWT's own
    lookup, and Manager.raw(), which maps the cursor's columns to fields on
    every query, about twice this (bench/profile_inprocess.py). The user's
    columns are listed in the model's field order, the order from_db() takes.
    `session_found` is null when the user has no such session (the service
    never issued it, or it was pruned), `session_ended` true once it ended.
    Names come from model metadata; both values are passed as parameters.
    """
    session = Session._meta
    user_column = session.get_field("user").column
    columns = ", ".join(f'u."{field.column}"' for field in model._meta.concrete_fields)
    return (
        # PostgreSQL: a prepared statement (project.postgresql); elsewhere a comment.
        "/* prepare */ "  # noqa: S608
        f"SELECT {columns}, s.id AS session_found,"
        f" s.{session.get_field('ended_at').column} IS NOT NULL AS session_ended"
        f" FROM {model._meta.db_table} AS u"
        f" LEFT JOIN {session.db_table} AS s ON s.{session.pk.column} = %s"
        f" AND s.{user_column} = u.{model._meta.pk.column}"
        f" WHERE u.{model._meta.pk.column} = %s"
    )


def _fetch_user(model, session_id, user_id):
    """The user `user_id` with `session_found` and `session_ended` attributes, or None.

    The row's values go through each field's database converters (on
    SQLite, text to datetimes and integers to booleans), as the ORM does.
    """
    alias = router.db_for_read(model)
    connection = connections[alias]
    fields = model._meta.concrete_fields
    with connection.cursor() as cursor:
        cursor.execute(_user_sql(model), [session_id, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    if _converters_needed(model, alias):
        compiler = connection.ops.compiler("SQLCompiler")(None, connection, alias)
        row = next(compiler.apply_converters([row], _converters(compiler, model)))
    user = model.from_db(alias, [field.attname for field in fields], row[: len(fields)])
    user.session_found, user.session_ended = row[len(fields) :]
    return user


def _converters(compiler, model):
    table = model._meta.db_table
    return compiler.get_converters([field.get_col(table) for field in model._meta.concrete_fields])


@functools.cache
def _converters_needed(model, alias):
    """Whether the database of `alias` converts any of the user's columns (PostgreSQL: none)."""
    connection = connections[alias]
    return bool(_converters(connection.ops.compiler("SQLCompiler")(None, connection, alias), model))


class JWTAuthentication(authentication.JWTAuthentication):
    """SimpleJWT's authentication that also refuses access tokens of an ended session.

    Every access token names its session (accounts.jwt), whose row says
    whether it has ended (logout, reuse, password change...). SimpleJWT has
    no such check, and its get_user() cannot take one, so the lookup is
    written out here to fetch the user and the session state in one query.
    The token's claims were checked for form by accounts.jwt.SessionAccessToken.
    """

    def get_user(self, validated_token):
        user = _fetch_user(self.user_model, validated_token.session_id, validated_token.user_id)
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


class JWTScheme(SimpleJWTScheme):
    """Describe our subclass as the bearer scheme in the OpenAPI document."""

    target_class = "accounts.authentication.JWTAuthentication"
