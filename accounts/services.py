"""Every write to an account goes through here: views, the admin site and
management commands call these functions and nothing else writes users."""

import re

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError

from accounts import audit, events, jwt, lockout, policies, sessions, tasks, tokens
from accounts.exceptions import Conflict, NotAllowed, NotFound, Unauthenticated
from accounts.models import EventType, Role, SessionEndReason, User

USER_NOT_FOUND = _("No User matches the given query.")


# The unique constraints on accounts_user, as the database names them, and
# the field each guards: User.Meta's case-insensitive ones, and the column
# constraint of AbstractUser's username (PostgreSQL's name for it; SQLite
# reports the case-insensitive index first, or the column).
UNIQUE_CONSTRAINT_FIELDS = {
    "accounts_user_username_ci_unique": "username",
    "accounts_user_email_ci_unique": "email",
    "accounts_user_username_key": "username",
    "accounts_user.username": "username",
}
# SQLite names the broken constraint only in its message.
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: (?:index '([^']+)'|(\S+))")


def _violated_constraint(exc):
    """Return the name of the constraint an IntegrityError reports, if it names one."""
    diagnostics = getattr(exc.__cause__, "diag", None)  # psycopg's
    if diagnostics is not None:
        return diagnostics.constraint_name
    match = _SQLITE_UNIQUE.match(str(exc))
    return match and (match[1] or match[2])


def _unique_violation(exc):
    """Turn a lost race on a unique constraint into the serializer's own 400 message."""
    field = UNIQUE_CONSTRAINT_FIELDS.get(_violated_constraint(exc))
    if field is None:
        return None
    return ValidationError({field: [f"A user with that {field} already exists."]}, code="unique")


def _save(user, **kwargs):
    """Validate, normalize (clean() applies NFKC to usernames) and save.

    Uniqueness is checked by the serializers and, finally, by the database's
    case-insensitive unique indexes; full_clean() skips those queries here.
    """
    user.full_clean(exclude=["password"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            user.save(**kwargs)
    except IntegrityError as exc:
        error = _unique_violation(exc)
        if error is None:
            raise
        raise error from None
    except DatabaseError as exc:
        # Django's own "Save with update_fields did not affect any rows": the
        # account was deleted since it was read. Its subclasses are real errors.
        if type(exc) is not DatabaseError:
            raise
        raise NotFound(USER_NOT_FOUND) from None
    return user


def _apply(user, fields):
    """Write the fields whose stored value changes, and name them; end an inactive user's tokens.

    Compared after clean()'s normalization (NFKC usernames, lower-case email
    domains), so a write that changes nothing skips the save: no UPDATE, and
    updated_at keeps saying when the account last changed. Only the changed
    columns are written, so a stale copy of the user cannot undo a change
    made meanwhile by someone else.
    """
    before = {name: getattr(user, name) for name in fields}
    for name, value in fields.items():
        setattr(user, name, value)
    user.clean()
    changed = [name for name, value in before.items() if getattr(user, name) != value]
    if changed:
        _save(user, update_fields=[*changed, "updated_at"])
    if not user.is_active:
        sessions.end_all(user=user, reason=SessionEndReason.DEACTIVATED)
    return changed


@transaction.atomic
def user_register(*, username, email, password, first_name="", last_name=""):
    """Create an account with the USER role, whatever the caller asked for.

    Unless EMAIL_VERIFICATION is none, a verification link goes to the address.
    """
    user = _create(
        User(username=username, email=email, first_name=first_name, last_name=last_name),
        password,
    )
    if _verifying():
        tasks.queue_email("email_verification", user=user, to=user.email)
    return user


def admin_create(*, username, email, password, first_name="", last_name=""):
    """Create an ADMIN who is also a superuser: the installation's owner, verified.

    Whoever runs `createadmin` holds the installation, address included: a
    mandatory verification must not lock its first admin out.
    """
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    user.role, user.is_superuser, user.email_verified = Role.ADMIN, True, True
    return _create(user, password)


def _create(user, password):
    user.set_password(password)
    return _save(user)


def user_update(*, user, client=None, **fields):
    """Change a user's own identity or names, writing only what changed.

    A new email waits as `pending_email` for the link sent to it (a notice
    goes to the current address) unless EMAIL_VERIFICATION is none, where it
    applies at once, unverified. Sending the current address leaves a
    pending change as it is. The caller's copy of the user may be stale (the
    profile view has the one loaded when the request authenticated).
    """
    email = User.objects.normalize_email(fields.pop("email", user.email))
    if email == user.email:
        _apply(user, fields)
        return user
    with transaction.atomic():
        if not _verifying():
            _apply(user, {**fields, **_new_address(email)})
            events.record(EventType.EMAIL_CHANGED, user=user, client=client)
            return user
        address = user.email
        _apply(user, {**fields, "pending_email": email})
        events.record(EventType.EMAIL_CHANGE_REQUESTED, user=user, client=client)
        tasks.queue_email("email_change", user=user, to=email)
        tasks.queue_email("email_change_notice", user=user, to=address)
    return user


@transaction.atomic
def _login_failed(*, username, client):
    """Count a failed login; record it, and a lock it imposes, on the account if there is one.

    The account lookup and the count run for unknown usernames too, so they
    cost the same queries; only the event rows differ.
    """
    account = User.objects.filter(username__iexact=User.normalize_username(username)).first()
    lock_seconds = lockout.record_failure(username)
    if account is not None:
        events.record(EventType.LOGIN_FAILED, user=account, client=client)
        if lock_seconds:
            events.record(EventType.LOCKED, user=account, client=client)


@transaction.atomic
def user_change_password(*, user, password, client=None, actor=None):
    """Set a new password and end every token issued before it.

    `actor` is the admin who set it on the admin site, None for the user.
    """
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    sessions.end_all(user=user, reason=SessionEndReason.PASSWORD_CHANGED)
    events.record(EventType.PASSWORD_CHANGED, user=user, client=client, actor=actor)
    return user


@transaction.atomic
def user_delete_account(*, user):
    """Delete the caller's own account, never the last active admin's.

    Its sessions, and so its tokens, go with it (on_delete=CASCADE); the
    username and email are free again, with no failed-login streak left
    behind for whoever registers the name next.
    """
    _actor, target, rows = _lock_for_admin_write(actor=user, user=user)
    _keep_an_active_admin(target, rows)
    lockout.end_streak(target.username)
    target.delete()


# --- Logins and sessions ---------------------------------------------------------
# Refresh and logout commit before refusing: a spent refresh token ends its
# session (reuse detection) even though the request fails. They are durable
# so that no caller's transaction can roll that back.

INVALID_CREDENTIALS = _("Invalid username or password.")
EMAIL_NOT_VERIFIED = _("Verify your email address first: follow the link sent to it.")
SESSION_NOT_FOUND = _("No Session matches the given query.")


def user_login(*, username, password, client):
    """Start a session for the right password of an active account; return its token pair.

    Raises Locked while the username is locked, the right password included,
    before any hashing: a lock answers alike for every username. Any other
    failure is Unauthenticated, counted towards the username's lockout; a
    success ends the username's failed-login streak.
    """
    streak = lockout.check(username)
    # authenticate() hashes a dummy password for unknown users and returns
    # None for inactive ones: every failure costs one hash, like a success.
    user = authenticate(username=username, password=password)
    if user is None:
        _login_failed(username=username, client=client)
        raise Unauthenticated(INVALID_CREDENTIALS, code="invalid_credentials")
    if not policies.can_log_in(user):
        raise NotAllowed(EMAIL_NOT_VERIFIED, code="email_not_verified")
    with transaction.atomic():
        if streak is not None:
            lockout.end_streak(username)
        # last_login also ends any password-reset link sent before this login.
        update_last_login(None, user)
        pair = sessions.start(user=user, client=client)
        # The event names the session, whose id only the new tokens carry.
        session_id = jwt.read_refresh_token(pair["refresh_token"]).session_id
        events.record(EventType.LOGIN, user=user, client=client, session_id=session_id)
        return pair


def token_refresh(*, refresh_token, client):
    """Spend the session's current refresh token for the next pair, in the same session."""
    token = _read_refresh_token(refresh_token)
    with transaction.atomic(durable=True):
        pair = sessions.rotate(token=token, client=client)
    if pair is None:
        raise Unauthenticated
    return pair


def logout(*, refresh_token, client):
    """End the session of this refresh token: all its access and refresh tokens."""
    token = _read_refresh_token(refresh_token)
    with transaction.atomic(durable=True):
        session = sessions.end(token=token, client=client)
        if session is not None:
            events.record(EventType.LOGOUT, user=session.user, client=client, session_id=session.pk)
    if session is None:
        raise Unauthenticated


@transaction.atomic
def logout_all(*, user, client, session_id=None):
    """End every session of the user, the one making the request (`session_id`) included."""
    sessions.end_all(user=user, reason=SessionEndReason.LOGOUT_ALL)
    events.record(EventType.LOGOUT_ALL, user=user, client=client, session_id=session_id)


@transaction.atomic
def session_end(*, user, session_id, client, actor=None):
    """End one live session of the user; `actor` is the admin doing it, if not the user."""
    if actor is not None:
        actor, user, _rows = _lock_for_admin_write(actor=actor, user=user)
        _authorize(policies.can_update_user, actor, user)
    if not sessions.end_one(user=user, session_id=session_id):
        raise NotFound(SESSION_NOT_FOUND)
    events.record(
        EventType.SESSION_ENDED, user=user, client=client, session_id=session_id, actor=actor
    )
    if actor is not None:
        audit.admin_action(
            actor=actor, target=user, action=CHANGE, message=ENDED_SESSION, client=client
        )


def _read_refresh_token(raw_token):
    try:
        return jwt.read_refresh_token(raw_token)
    except TokenError:
        raise Unauthenticated from None


# --- Admin management of accounts ----------------------------------------------
# Each write locks and re-reads the rows it decides on, re-checks the policy
# on those fresh rows (the caller's copies may be stale) and keeps at least
# one active admin. A target deleted meanwhile is a 404, never a 500.

LAST_ACTIVE_ADMIN = _("This would leave no active admin; make another user admin first.")
# The admin site's history entries for the role changes.
GRANTED_ADMIN = _("Granted admin privileges.")
REVOKED_ADMIN = _("Revoked admin privileges.")
ENDED_SESSION = _("Ended a session.")
ENDED_ALL_SESSIONS = _("Ended all sessions.")
UNLOCKED = _("Unlocked after failed logins.")


def _lock_for_admin_write(*, actor, user):
    """Lock the actor, the target and every active admin, in id order; return fresh rows.

    Locking every active admin serializes concurrent demotions, deactivations
    and deletions, so two admins removing each other cannot both succeed.
    One query, however many admins there are.
    """
    query = Q(pk__in=[actor.pk, user.pk]) | Q(role=Role.ADMIN, is_active=True)
    rows = {row.pk: row for row in User.objects.select_for_update().filter(query).order_by("pk")}
    if user.pk not in rows:
        raise NotFound(USER_NOT_FOUND)
    return rows.get(actor.pk), rows[user.pk], rows


def _authorize(rule, actor, target):
    if actor is None or not rule(actor, target):
        raise NotAllowed


def _keep_an_active_admin(target, rows):
    """Refuse (409) to take the last active admin out of service."""
    others = [
        row
        for row in rows.values()
        if row.pk != target.pk and row.role == Role.ADMIN and row.is_active
    ]
    if target.role == Role.ADMIN and target.is_active and not others:
        raise Conflict(LAST_ACTIVE_ADMIN, code="last_active_admin")


@transaction.atomic
def user_admin_update(*, actor, user, client=None, **fields):
    """Change an account's identity, names or active flag on an admin's behalf."""
    actor, target, rows = _lock_for_admin_write(actor=actor, user=user)
    _authorize(policies.can_update_user, actor, target)
    if fields.get("is_active") is False:
        _keep_an_active_admin(target, rows)
    email = User.objects.normalize_email(fields.get("email", target.email))
    if email != target.email:
        # The admin's word sets the address, but proves no one can read it.
        fields = {**fields, **_new_address(email)}
        events.record(EventType.EMAIL_CHANGED, user=target, client=client, actor=actor)
    changed = _apply(target, fields)
    # Recorded even when nothing changed, as the admin site records a save.
    audit.admin_action(
        actor=actor, target=target, action=CHANGE, message=audit.changed_fields(changed)
    )
    return target


@transaction.atomic
def user_create(*, actor, username, email, password):
    """Create a USER account on an admin's behalf (the admin site's add form)."""
    user = user_register(username=username, email=email, password=password)
    audit.admin_action(actor=actor, target=user, action=ADDITION, message=[{"added": {}}])
    return user


@transaction.atomic
def user_set_password(*, actor, user, password):
    """Set an account's password on an admin's behalf (None: unusable); its tokens die."""
    actor, target, _rows = _lock_for_admin_write(actor=actor, user=user)
    _authorize(policies.can_update_user, actor, target)
    user_change_password(user=target, password=password, actor=actor)
    audit.admin_action(
        actor=actor, target=target, action=CHANGE, message=audit.changed_fields(["password"])
    )
    return target


@transaction.atomic
def user_delete(*, actor, user):
    """Delete an account; its tokens die with it."""
    actor, target, rows = _lock_for_admin_write(actor=actor, user=user)
    _authorize(policies.can_delete_user, actor, target)
    _keep_an_active_admin(target, rows)
    # Its sessions, and so its tokens, go with it (on_delete=CASCADE).
    # Recorded first: the entry needs the id, which delete() clears.
    audit.admin_action(actor=actor, target=target, action=DELETION)
    target.delete()


@transaction.atomic
def users_delete(*, actor, users):
    """Delete several accounts, all or none (the admin site's "delete selected")."""
    for user in users:
        user_delete(actor=actor, user=user)


@transaction.atomic
def user_grant_admin(*, actor, user):
    """Give a USER the ADMIN role; it applies from their next request."""
    actor, target, _rows = _lock_for_admin_write(actor=actor, user=user)
    _authorize(policies.can_grant_admin, actor, target)
    if target.role == Role.ADMIN:
        raise ValidationError(
            {"role": ValidationError(_("User is already an admin."), code="already_admin")}
        )
    target.role = Role.ADMIN
    _save(target, update_fields=["role", "updated_at"])
    audit.admin_action(actor=actor, target=target, action=CHANGE, message=GRANTED_ADMIN)
    return target


@transaction.atomic
def user_revoke_admin(*, actor, user):
    """Take the ADMIN role (and superuser status) away, never from the last active admin."""
    actor, target, rows = _lock_for_admin_write(actor=actor, user=user)
    _authorize(policies.can_revoke_admin, actor, target)
    if target.role != Role.ADMIN:
        raise ValidationError(
            {"role": ValidationError(_("User is not an admin."), code="not_admin")}
        )
    _keep_an_active_admin(target, rows)
    target.role = Role.USER
    target.is_superuser = False
    _save(target, update_fields=["role", "is_superuser", "updated_at"])
    audit.admin_action(actor=actor, target=target, action=CHANGE, message=REVOKED_ADMIN)
    return target


@transaction.atomic
def user_logout_all(*, actor, user, client=None):
    """End every session of an account on an admin's behalf (the update rule)."""
    actor, target, _rows = _lock_for_admin_write(actor=actor, user=user)
    _authorize(policies.can_update_user, actor, target)
    sessions.end_all(user=target, reason=SessionEndReason.LOGOUT_ALL)
    events.record(EventType.LOGOUT_ALL, user=target, client=client, actor=actor)
    audit.admin_action(
        actor=actor, target=target, action=CHANGE, message=ENDED_ALL_SESSIONS, client=client
    )


@transaction.atomic
def user_unlock(*, actor, user, client=None):
    """End the username's failed-login streak and lock, on an admin's behalf.

    Allowed where updating the account is; recorded as `unlocked` when a
    lock was in force.
    """
    actor, target, _rows = _lock_for_admin_write(actor=actor, user=user)
    _authorize(policies.can_update_user, actor, target)
    if lockout.end_streak(target.username):
        events.record(EventType.UNLOCKED, user=target, client=client, actor=actor)
    audit.admin_action(actor=actor, target=target, action=CHANGE, message=UNLOCKED, client=client)
    return target


@transaction.atomic
def password_reset_request(*, email):
    """Queue a reset email for the active account with this address, if there is one.

    The caller answers the same whatever happens here. The email is a row in
    the outbox, committed with this transaction; the mail worker composes and
    sends it, so the request never waits for the mail server.
    """
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    # Like Django's PasswordResetForm: no link for accounts that may not log in.
    if user is not None and user.has_usable_password():
        tasks.queue_email("password_reset", user=user, to=user.email)


def password_reset_user(*, token, for_update=False):
    """Return the active account a reset link is for; a bad, used or expired one is a 400."""
    queryset = User.objects.select_for_update() if for_update else None
    user = tokens.user_for_reset_token(token, queryset)
    if user is None:
        raise ValidationError({"token": [tokens.INVALID_TOKEN_MESSAGE]}, code="invalid_token")
    return user


@transaction.atomic
def password_reset_complete(*, token, password, client=None):
    """Set a new password through a reset link; the link and every older token die.

    The row is locked while the link is checked, so two requests racing with
    one link cannot both succeed; the password is validated against that
    account before the link is spent.
    The username's failed-login streak ends too: the owner proved the mailbox.
    """
    user = password_reset_user(token=token, for_update=True)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    sessions.end_all(user=user, reason=SessionEndReason.PASSWORD_CHANGED)
    lockout.end_streak(user.username)
    events.record(EventType.PASSWORD_RESET, user=user, client=client)
    return user


# --- Email verification ------------------------------------------------------------


def _verifying():
    return settings.EMAIL_VERIFICATION != "none"


def _new_address(email):
    """The fields of an address set without proof: unverified, no change pending."""
    return {"email": email, "email_verified": False, "pending_email": None}


def email_verification_resend(*, email):
    """Send a new link to the active, unverified account with this address, if there is one.

    The caller answers the same whatever happens here: one indexed query
    either way. An account with an email change pending gets nothing here:
    its link goes to the new address, and sending that address to the
    profile again sends a new one.
    """
    if not _verifying():
        return
    user = User.objects.filter(
        email__iexact=email, is_active=True, email_verified=False, pending_email__isnull=True
    ).first()
    if user is not None:
        tasks.queue_email("email_verification", user=user, to=user.email)


def email_verification_user(*, token, for_update=False):
    """Return the active account a verification link is for; a bad, used or expired one is a 400."""
    queryset = User.objects.select_for_update() if for_update else None
    user = tokens.user_for_verification_token(token, queryset)
    if user is None:
        raise ValidationError(
            {"token": [tokens.INVALID_VERIFICATION_MESSAGE]}, code="invalid_token"
        )
    return user


@transaction.atomic
def email_verify(*, token, client=None):
    """Follow a verification link: verify the address, or apply the pending change.

    The row is locked and the link checked again, so two requests racing
    with one link cannot both succeed. If another account took the pending
    address meanwhile, the unique index refuses it (400 on `email`).
    """
    user = email_verification_user(token=token, for_update=True)
    if user.pending_email:
        user.email, user.pending_email, user.email_verified = user.pending_email, None, True
        _save(user, update_fields=["email", "pending_email", "email_verified", "updated_at"])
        events.record(EventType.EMAIL_CHANGED, user=user, client=client)
    else:
        user.email_verified = True
        _save(user, update_fields=["email_verified", "updated_at"])
        events.record(EventType.EMAIL_VERIFIED, user=user, client=client)
    return user
