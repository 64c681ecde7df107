"""The password-reset token: one opaque, URL-safe string per reset link.

It joins the user's id (URL-safe base64) and Django's reset token with a
`.`, which neither part ever contains. Django's token is an HMAC over the
user's id, password hash, last login, email and the time it was made, so it
dies once used (the password changes), when the user logs in, and after
PASSWORD_RESET_TIMEOUT; nothing is stored.
"""

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from accounts.models import User

SEPARATOR = "."
# Far longer than any real token (about 40 characters); refuse the rest unread.
MAX_LENGTH = 200
INVALID_TOKEN_MESSAGE = _(
    "This password reset link is invalid or has expired. It may have been used already."
)


def make_reset_token(user):
    """Return the opaque reset token for the user's current state."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uid}{SEPARATOR}{default_token_generator.make_token(user)}"


def user_for_reset_token(token, queryset=None):
    """Return the active user the token was made for if it is still valid, else None."""
    if not isinstance(token, str) or len(token) > MAX_LENGTH:
        return None
    uid, separator, django_token = token.partition(SEPARATOR)
    if not separator:
        return None
    try:
        pk = User._meta.pk.to_python(urlsafe_base64_decode(uid).decode())
    except (ValueError, ValidationError):  # bad base64, bytes or number
        return None
    queryset = User.objects.all() if queryset is None else queryset
    user = queryset.filter(pk=pk, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, django_token):
        return None
    return user
