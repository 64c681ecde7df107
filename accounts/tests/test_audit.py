import pytest
from django.contrib.admin.models import CHANGE, LogEntry

from accounts import audit

pytestmark = pytest.mark.django_db


def test_admin_action_writes_the_admin_sites_history_entry(admin_user, user):
    audit.admin_action(
        actor=admin_user, target=user, action=CHANGE, message=audit.changed_fields(["email"])
    )

    entry = LogEntry.objects.get()
    assert (entry.user_id, entry.object_id, entry.object_repr, entry.action_flag) == (
        admin_user.pk,
        str(user.pk),
        user.username,
        CHANGE,
    )
    assert entry.get_change_message() == "Changed Email address."


def test_changed_fields_names_the_fields_by_their_labels():
    assert audit.changed_fields(["first_name", "is_active"]) == [
        {"changed": {"fields": ["First name", "Active"]}}
    ]


def test_changed_fields_of_nothing_is_an_empty_message():
    assert audit.changed_fields([]) == []
