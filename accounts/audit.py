"""The record of what admins do to accounts: one function, for the API and the admin site.

The services call admin_action() inside the transaction of the change it
describes, so a refused or rolled-back change leaves no entry. It writes the
admin site's history (LogEntry), where an action taken through the API shows
exactly as one taken on the site.
"""

from django.contrib.admin.models import LogEntry
from django.utils.text import capfirst

from accounts.models import User


def admin_action(*, actor, target, action, message=""):
    """Record that `actor` added, changed or deleted (`action`: LogEntry's flag) `target`.

    `message` is the admin site's change message: text, or its structured
    list (see changed_fields). For a deletion, call it before the row goes.
    """
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[target],
        action_flag=action,
        change_message=message,
        single_object=True,
    )


def changed_fields(names):
    """Describe changed fields as the admin site does: [{"changed": {"fields": [...]}}]."""
    labels = [str(capfirst(User._meta.get_field(name).verbose_name)) for name in names]
    return [{"changed": {"fields": labels}}] if labels else []
