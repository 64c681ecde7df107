"""The role rules as a table: every (actor, target) pair, for every rule.

RULES is the one statement of the expected answers; the API and admin site
tests (api/test_admin_users.py, test_admin.py) check their status codes
against this same table, so the three can never disagree silently.
"""

import pytest

from accounts import policies
from accounts.models import Role, User

ACTORS = ["user", "admin", "superuser"]
TARGETS = ["self", "user", "admin", "superuser"]

# rule -> {(actor, target): allowed}. "admin" and "superuser" targets are
# other accounts than the actor; "self" is the actor's own account.
RULES = {
    "can_view_user": {
        **{("user", t): False for t in TARGETS},
        **{("admin", t): True for t in TARGETS},
        **{("superuser", t): True for t in TARGETS},
    },
    "can_update_user": {
        **{("user", t): False for t in TARGETS},
        ("admin", "self"): True,
        ("admin", "user"): True,
        ("admin", "admin"): False,
        ("admin", "superuser"): False,
        **{("superuser", t): True for t in TARGETS},
    },
    "can_delete_user": {
        **{("user", t): False for t in TARGETS},
        ("admin", "self"): False,
        ("admin", "user"): True,
        ("admin", "admin"): False,
        ("admin", "superuser"): False,
        ("superuser", "self"): False,
        ("superuser", "user"): True,
        ("superuser", "admin"): True,
        ("superuser", "superuser"): True,
    },
    "can_grant_admin": {
        **{("user", t): False for t in TARGETS},
        **{("admin", t): True for t in TARGETS},
        **{("superuser", t): True for t in TARGETS},
    },
    "can_revoke_admin": {
        **{("user", t): False for t in TARGETS},
        **{("admin", t): False for t in TARGETS},
        **{("superuser", t): True for t in TARGETS},
    },
}

KINDS = {
    "user": {"role": Role.USER, "is_superuser": False},
    "admin": {"role": Role.ADMIN, "is_superuser": False},
    "superuser": {"role": Role.ADMIN, "is_superuser": True},
}


def allowed(rule, actor, target):
    """Return the expected answer of `rule` for an actor kind and a target kind."""
    return RULES[rule][(actor, target)]


def _account(kind, pk):
    return User(pk=pk, username=f"{kind}{pk}", **KINDS[kind])


CASES = [(rule, actor, target) for rule in RULES for actor in ACTORS for target in TARGETS]


@pytest.mark.parametrize(("rule", "actor_kind", "target_kind"), CASES)
def test_policy_matrix(rule, actor_kind, target_kind):
    actor = _account(actor_kind, pk=1)
    target = actor if target_kind == "self" else _account(target_kind, pk=2)
    assert getattr(policies, rule)(actor, target) is allowed(rule, actor_kind, target_kind)


def test_every_rule_is_in_the_table():
    rules = {
        name
        for name in dir(policies)
        if name.startswith("can_") and name not in ("can_manage_users", "can_log_in")
    }
    assert rules == set(RULES)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_inactive_admin_may_do_nothing(rule):
    actor = User(pk=1, role=Role.ADMIN, is_superuser=True, is_active=False)
    target = User(pk=2, role=Role.USER)
    assert getattr(policies, rule)(actor, target) is False


@pytest.mark.parametrize("rule", sorted(RULES))
def test_anonymous_may_do_nothing(rule):
    from django.contrib.auth.models import AnonymousUser

    assert getattr(policies, rule)(AnonymousUser(), User(pk=2, role=Role.USER)) is False


@pytest.mark.parametrize(
    ("kind", "expected"), [("user", False), ("admin", True), ("superuser", True)]
)
def test_only_admins_manage_users(kind, expected):
    assert policies.can_manage_users(_account(kind, pk=1)) is expected


@pytest.mark.parametrize(
    ("mode", "verified", "expected"),
    [
        ("none", False, True),
        ("optional", False, True),
        ("mandatory", False, False),
        ("mandatory", True, True),
    ],
)
def test_unverified_addresses_log_in_unless_verification_is_mandatory(
    settings, mode, verified, expected
):
    settings.EMAIL_VERIFICATION = mode
    assert policies.can_log_in(User(email_verified=verified)) is expected
