"""The one-time tokens of emailed links: one opaque, URL-safe string per link.

Each joins the user's id (URL-safe base64) and a Django token with a `.`,
which neither part ever contains. A Django token is an HMAC over some of the
user's state and the time it was made, so it dies once that state changes;
nothing is stored.

- Password reset: Django's default generator, over the password hash, last
  login and email: it dies once used (the password changes), when the user
  logs in, and after PASSWORD_RESET_TIMEOUT.
- Email verification (and email change): a generator with its own salt, over
  the address, its verified state and the pending address: it dies once used
  (the address is verified or replaced), when the address or the pending
  change changes, and after EMAIL_VERIFICATION_TIMEOUT.
"""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.exceptions import ValidationError
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from accounts.models import User

SEPARATOR = "."
# Far longer than any real token (about 40 characters); refuse the rest unread.
MAX_LENGTH = 200
INVALID_TOKEN_MESSAGE = _(
    "This password reset link is invalid or has expired. It may have been used already."
)
INVALID_VERIFICATION_MESSAGE = _(
    "This verification link is invalid or has expired. It may have been used already."
)


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Django's token, salted apart from reset tokens, over the address being verified."""

    key_salt = "accounts.tokens.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        # Verifying flips email_verified or replaces the address, and a newer
        # email change replaces pending_email: each kills the older links.
        # The separators keep ("ab", "c") and ("a", "bc") apart.
        pending = user.pending_email or ""
        return f"{user.pk}|{user.email}|{user.email_verified}|{pending}|{timestamp}"

    def check_token(self, user, token):
        """Check the token as Django does, against EMAIL_VERIFICATION_TIMEOUT.

        Django's check_token() compares the token's age with
        PASSWORD_RESET_TIMEOUT, read inside it; these links have their own
        lifetime, so its two steps are taken here with that one.
        """
        if not (user and isinstance(token, str)):
            return False
        try:
            ts = base36_to_int(token.partition("-")[0])
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - ts <= settings.EMAIL_VERIFICATION_TIMEOUT


email_verification_token_generator = EmailVerificationTokenGenerator()


def make_reset_token(user):
    """Return the opaque reset token for the user's current state."""
    return _make(default_token_generator, user)


def user_for_reset_token(token, queryset=None):
    """Return the active user the reset token was made for if it is still valid, else None."""
    return _user_for(default_token_generator, token, queryset)


def make_verification_token(user):
    """Return the opaque token verifying the user's pending address, else their address."""
    return _make(email_verification_token_generator, user)


def user_for_verification_token(token, queryset=None):
    """Return the active user the verification token was made for if still valid, else None."""
    return _user_for(email_verification_token_generator, token, queryset)


def _make(generator, user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"{uid}{SEPARATOR}{generator.make_token(user)}"


def _user_for(generator, token, queryset):
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
    if user is None or not generator.check_token(user, django_token):
        return None
    return user
