"""Migration 0006: existing accounts become verified, new ones start unverified, tallies live on."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Sum
from django.utils.timezone import now

from accounts.models import Role, User, UserTally
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("accounts", "0005_sessions")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])


def _insert_raw(username):
    """Insert an account as the schema before 0006 knows it, outside the ORM."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (password, is_superuser, username, first_name,"
            " last_name, is_active, email, role, created_at, updated_at)"
            " VALUES ('!', %s, %s, '', '', %s, %s, %s, %s, %s)",
            [False, username, True, f"{username}@example.com", Role.USER, now(), now()],
        )


@pytest.fixture
def before_0006():
    """Run the test from the schema before 0006; leave every migration applied after it."""
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes("accounts")
    _migrate(BEFORE)
    yield
    _migrate(leaves[0])


def test_existing_accounts_are_verified_and_new_ones_are_not(before_0006):
    _insert_raw("existing")
    _migrate(("accounts", "0006_email_verification"))

    _insert_raw("raw-after")
    created = UserFactory()

    verified = dict(User.objects.values_list("username", "email_verified"))
    assert verified == {"existing": True, "raw-after": False, created.username: False}
    assert set(User.objects.values_list("pending_email", flat=True)) == {None}


def _tallied(is_active):
    rows = UserTally.objects.filter(role=Role.USER, is_active=is_active)
    return rows.aggregate(n=Sum("users", default=0))["n"]


def test_tally_triggers_survive_the_migration(before_0006):
    _insert_raw("existing")
    _migrate(("accounts", "0006_email_verification"))
    # Deltas: flushes between transactional tests leave the sums anywhere.
    active, inactive = _tallied(True), _tallied(False)

    UserFactory.create_batch(2)
    User.objects.filter(username="existing").update(is_active=False)

    assert (_tallied(True) - active, _tallied(False) - inactive) == (1, 1)
