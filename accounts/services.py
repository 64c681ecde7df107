"""Every write to an account goes through here: views, the admin site and
management commands call these functions and nothing else writes users."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts import jwt
from accounts.models import Role, User


def _unique_violation(exc):
    """Turn a lost race on a unique index into the serializer's own 400 message."""
    message = str(exc).lower()
    for field in ("username", "email"):
        if field in message:
            return ValidationError(
                {field: [f"A user with that {field} already exists."]}, code="unique"
            )
    return None


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
    return user


def user_register(*, username, email, password, first_name="", last_name=""):
    """Create an account with the USER role, whatever the caller asked for."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=Role.USER,
    )
    user.set_password(password)
    return _save(user)


def admin_create(*, username, email, password, first_name="", last_name=""):
    """Create an ADMIN who is also a superuser: the installation's owner."""
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=Role.ADMIN,
        is_superuser=True,
    )
    user.set_password(password)
    return _save(user)


def user_update(*, user, **fields):
    """Change a user's identity or names (and, for admins, the active flag)."""
    for name, value in fields.items():
        setattr(user, name, value)
    _save(user)
    if not user.is_active:
        jwt.revoke_user_tokens(user)
    return user


@transaction.atomic
def user_change_password(*, user, password):
    """Set a new password and end every token issued before it."""
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    jwt.revoke_user_tokens(user)
    return user
