"""The security-event history of each account: record, and prune after the retention time.

Services call record() inside the transaction of the change an event
describes, so the change and its event are stored together or not at all.
Each event is also one JSON log line, written once the transaction commits;
neither carries a password, a token or a hash.
"""

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.clients import Client
from accounts.expressions import BOOLEAN, SQL, Param, bind
from accounts.models import SecurityEvent
from accounts.shaping import rows

logger = logging.getLogger("accounts.events")


def record(type, *, user, client=None, session_id=None, actor=None):
    """Store one event about `user`; `actor` is the admin who acted, None for the user."""
    client = client or Client()
    event = SecurityEvent.objects.create(
        user=user,
        type=type,
        ip_address=client.ip_address,
        user_agent=client.user_agent,
        session_id=session_id,
        actor=actor,
    )
    transaction.on_commit(functools.partial(_log, event))
    return event


def history(user_id, *, shaped_by=None):
    """The events of the account `user_id`, newest first; with `shaped_by`, as rows() of that
    serializer (accounts.shaping). Built once per shape and bound to the id, as
    accounts.sessions.live_sessions() is."""
    return bind(_history(shaped_by, timezone.get_current_timezone()), user=user_id)


@functools.cache
def _history(shaped_by, zone):
    """The queryset of history(), the account's id a Param: its condition written as SQL,
    which unlike the ORM's lookup takes one (accounts.expressions). `zone` only keys the
    cache, as in accounts.sessions."""
    meta = SecurityEvent._meta
    column = f'"{meta.db_table}"."{meta.get_field("user").column}"'
    owned = SQL(f"{column} = %s", [Param("user")], output_field=BOOLEAN)
    queryset = SecurityEvent.objects.filter(owned).order_by("-created_at", "-id")
    return queryset if shaped_by is None else rows(queryset, shaped_by)


def prune(*, now=None):
    """Delete events older than SECURITY_EVENT_RETENTION_DAYS; return how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SECURITY_EVENT_RETENTION_DAYS)
    deleted, _by_model = SecurityEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def _log(event):
    logger.info(
        "security event",
        extra={
            "event": event.type,
            "event_id": event.pk,
            "user_id": event.user_id,
            "actor_id": event.actor_id,
            "session_id": event.session_id,
            "ip_address": event.ip_address,
        },
    )
