"""The role rules, written once.

Pure functions of the acting user and the target account, answering whether
the action is allowed. The API's permission classes, the Django admin site's
ModelAdmin and the services (as defence in depth) all ask these and nothing
restates a rule. State checks that are not about who acts ("already an
admin", "never the last active admin") live in the services.
"""

from django.conf import settings

from accounts.models import Role


def can_manage_users(actor) -> bool:
    """Allow active ADMIN-role users into the account management routes at all."""
    return bool(actor.is_authenticated and actor.is_active and actor.role == Role.ADMIN)


def can_view_user(actor, target) -> bool:
    """Let any admin read any account."""
    return can_manage_users(actor)


def can_update_user(actor, target) -> bool:
    """Let an admin change their own account and USER accounts; superusers any admin too.

    Deactivating (`active: false`) is an update, so the same rule covers it.
    """
    if not can_manage_users(actor):
        return False
    return actor.pk == target.pk or target.role == Role.USER or actor.is_superuser


def can_delete_user(actor, target) -> bool:
    """Let an admin delete USER accounts; superusers other admins too; nobody themselves."""
    if not can_manage_users(actor) or actor.pk == target.pk:
        return False
    return target.role == Role.USER or actor.is_superuser


def can_grant_admin(actor, target) -> bool:
    """Let any admin grant the ADMIN role (granting it twice is a 400, not a 403)."""
    return can_manage_users(actor)


def can_revoke_admin(actor, target) -> bool:
    """Let only superusers take the ADMIN role away, themselves included."""
    return can_manage_users(actor) and actor.is_superuser


def can_log_in(user) -> bool:
    """Hold back logins of unverified addresses when EMAIL_VERIFICATION is mandatory."""
    return user.email_verified or settings.EMAIL_VERIFICATION != "mandatory"
