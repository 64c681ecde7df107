"""The record of what admins do to accounts: one function, for the API and the admin site.

The services call admin_action() inside the transaction of the change it
describes, so a refused or rolled-back change leaves no entry. It writes the
admin site's history (LogEntry), where an action taken through the API shows
exactly as one taken on the site, and the account's own security history
(an `admin_change` event naming the admin), as Keycloak keeps admin events.
"""

from django.contrib.admin.models import DELETION, LogEntry
from django.utils.text import capfirst

from accounts import events
from accounts.models import EventType, User


def admin_action(*, actor, target, action, message="", client=None):
    """Record that `actor` added, changed or deleted (`action`: LogEntry's flag) `target`.

    `message` is the admin site's change message: text, or its structured
    list (see changed_fields). For a deletion, call it before the row goes;
    a deleted account keeps no history, so it gets no event.
    """
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[target],
        action_flag=action,
        change_message=message,
        single_object=True,
    )
    if action != DELETION:
        events.record(EventType.ADMIN_CHANGE, user=target, client=client, actor=actor)


def changed_fields(names):
    """Describe changed fields as the admin site does: [{"changed": {"fields": [...]}}]."""
    labels = [str(capfirst(User._meta.get_field(name).verbose_name)) for name in names]
    return [{"changed": {"fields": labels}}] if labels else []
