"""The errors the services raise, in the accounts' own terms.

Services know no HTTP: project.errors maps these to 404, 403 and 409 for
the API, and the admin site shows them as messages. Invalid input is
Django's own ValidationError, which both already understand.
"""

from django.utils.translation import gettext_lazy as _


class AccountError(Exception):
    """A refused request: a human-readable message and a stable code."""

    default_message = _("The request cannot be carried out.")
    default_code = "error"

    def __init__(self, message=None, code=None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        super().__init__(self.message)

    def __str__(self):
        return str(self.message)


class NotFound(AccountError):
    """The account (or session) the request names does not exist."""

    default_message = _("Not found.")
    default_code = "not_found"


class NotAllowed(AccountError):
    """The policy refuses this actor this action."""

    default_message = _("You do not have permission to perform this action.")
    default_code = "permission_denied"


class Conflict(AccountError):
    """The request is valid but the current state forbids it."""

    default_message = _("The request conflicts with the current state of the resource.")
    default_code = "conflict"


class Unauthenticated(AccountError):
    """The credentials (a password, a token) are wrong, expired or no longer good."""

    default_message = _("Token is invalid or expired.")
    default_code = "token_not_valid"


class Locked(AccountError):
    """Logins for this username are refused until its lock ends (see accounts.lockout)."""

    default_message = _("Too many failed logins for this username; try again later.")
    default_code = "account_locked"

    def __init__(self, message=None, code=None, *, retry_after):
        super().__init__(message, code)
        # Whole seconds until the lock ends.
        self.retry_after = retry_after
