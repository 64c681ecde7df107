"""The session lifecycle: start at login, rotate on refresh, end, prune.

A session row is the revocation state of all its tokens (see
accounts.models.Session). Its functions take a verified token
(accounts.jwt) and a Client, and run in the caller's transaction; the
services own the transactions and record the events, except `token_reuse`,
which only this module can tell apart from an ordinary refusal.

Every step is one or two statements whatever the number of sessions, and
every change is a conditional UPDATE (compare and set on `refresh_jti`,
`ended_at IS NULL`), so two requests racing with one token cannot both win
on either database, with or without row locks.
"""

import functools
import secrets

from django.db import connections, router
from django.db.models import Q
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings

from accounts import events, jwt
from accounts.expressions import BOOLEAN, SQL, Param, bind
from accounts.models import EventType, Session, SessionEndReason
from accounts.shaping import rows


def start(*, user, client):
    """Open a session for a login; return the token pair's response body."""
    session_id = secrets.token_urlsafe(16)
    refresh, body = jwt.issue_pair(user, session_id)
    Session.objects.create(
        id=session_id,
        user=user,
        created_at=refresh.current_time,
        last_used_at=refresh.current_time,
        expires_at=refresh.expires_at,
        ip_address=client.ip_address,
        user_agent=client.user_agent,
        refresh_jti=refresh.jti,
    )
    return body


def rotate(*, token, client):
    """Hand out the session's next pair for its current refresh token, else None.

    A validly signed refresh token of a live session that is not its current
    one was spent before: someone else holds a copy, so the whole session
    ends, the newest pair included.
    """
    session = _live_session(token)
    if session is None or not _user_may_refresh(session.user, token):
        return None
    refresh, body = jwt.issue_pair(session.user, session.pk)
    swapped = _current(session, token).update(
        refresh_jti=refresh.jti,
        last_used_at=refresh.current_time,
        expires_at=refresh.expires_at,
        ip_address=client.ip_address,
        user_agent=client.user_agent,
    )
    if not swapped:
        _end_reused(session, client)
        return None
    return body


def end(*, token, client):
    """End the session of its current refresh token (logout); return it, else None.

    A spent refresh token of a live session ends it as reuse, as on refresh.
    """
    session = _live_session(token)
    if session is None:
        return None
    if not _end(_current(session, token), SessionEndReason.LOGOUT):
        _end_reused(session, client)
        return None
    return session


def end_all(*, user, reason):
    """End every session of the user; return how many were live."""
    return _end(Session.objects.filter(user=user), reason)


def end_one(*, user, session_id, reason=SessionEndReason.ENDED):
    """End one live session of the user; return whether there was one."""
    return bool(_end(Session.objects.live().filter(pk=session_id, user=user), reason))


def live_sessions(user_id, current_session_id=None, *, shaped_by=None):
    """The live sessions of the account `user_id`, most recently used first, each saying
    whether it is `current`; with `shaped_by`, as rows() of that serializer (accounts.shaping).

    An id, not an account: an admin's view of an account's sessions has
    only the id, and a model instance would cost it more than the query.
    The queryset is built once per shape and bound to the values
    (accounts.expressions.bind()).
    """
    database = connections[router.db_for_read(Session)]
    now = database.ops.adapt_datetimefield_value(timezone.now())
    zone = timezone.get_current_timezone()
    template = _live_sessions(current_session_id is not None, shaped_by, zone)
    return bind(template, user=user_id, now=now, session=current_session_id)


@functools.cache
def _live_sessions(with_current, shaped_by, zone):
    """The queryset of live_sessions(), its values Params; `zone` only keys the cache, as
    rows() writes datetimes in the current time zone.

    Its conditions are written as SQL: the ORM's three lookups and its
    Q(pk=...) as a value cost a session list more CPU to build and compile
    than the rest of its query. Names come from the model's metadata.
    """
    meta = Session._meta
    user, ended, expires = (
        f'"{meta.db_table}"."{meta.get_field(name).column}"'
        for name in ("user", "ended_at", "expires_at")
    )
    live = SQL(
        f"{user} = %s AND {ended} IS NULL AND {expires} > %s",
        [Param("user"), Param("now")],
        output_field=BOOLEAN,
    )
    if with_current:
        current = SQL(f'"{meta.db_table}"."{meta.pk.column}" = %s', [Param("session")], BOOLEAN)
    else:
        current = SQL("false", [], output_field=BOOLEAN)
    queryset = Session.objects.filter(live).annotate(current=current)
    queryset = queryset.order_by("-last_used_at", "-id")
    return queryset if shaped_by is None else rows(queryset, shaped_by)


def prune(*, now=None):
    """Delete ended and expired sessions; return how many.

    An ended session's tokens are refused whether its row is kept or not
    (no row, no session), so nothing is lost by deleting it.
    """
    now = now or timezone.now()
    stale = Session.objects.filter(Q(ended_at__isnull=False) | Q(expires_at__lte=now))
    deleted, _by_model = stale.delete()
    return deleted


def _live_session(token):
    """The live session the token names, with its user, or None."""
    sessions = Session.objects.live().select_related("user")
    return sessions.filter(pk=token.session_id, user_id=token.user_id).first()


def _user_may_refresh(user, token):
    """Whether the user may still hold tokens: active, and the same password."""
    return user.is_active and token.get(api_settings.REVOKE_TOKEN_CLAIM) == jwt.password_claim(user)


def _current(session, token):
    """The session, as a queryset, if the token is still its current refresh token."""
    return Session.objects.filter(pk=session.pk, refresh_jti=token.jti, ended_at__isnull=True)


def _end(sessions, reason):
    return sessions.filter(ended_at__isnull=True).update(ended_at=timezone.now(), end_reason=reason)


def _end_reused(session, client):
    """End a session whose spent refresh token came back; record it once."""
    if _end(Session.objects.filter(pk=session.pk), SessionEndReason.TOKEN_REUSE):
        events.record(
            EventType.TOKEN_REUSE, user=session.user, client=client, session_id=session.pk
        )
