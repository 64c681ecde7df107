import hashlib

from django.utils.crypto import salted_hmac
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import User


class LoginFailureThrottle(SimpleRateThrottle):
    """Limit failed logins per username.

    DRF's throttles count every request; counting successes too would lock
    out a user who logs in often, so this one only reads the history when
    asked and the login view records each failure.
    """

    scope = "login_username"

    def get_cache_key(self, request, view):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if not isinstance(username, str):
            return None
        # Hash the name: the cache must not hold user identifiers in clear.
        name = User.normalize_username(username).upper()
        # "surrogatepass": a lone surrogate in the JSON is the validator's 400, not a 500.
        ident = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) < self.num_requests or self.throttle_failure()

    def record_failure(self):
        if self.key is not None:
            self.history.insert(0, self.now)
            self.cache.set(self.key, self.history, self.duration)


class EmailAddressThrottle(SimpleRateThrottle):
    """Limit requests per email address in the body (the subclass's scope names the flow).

    Every address counts alike, with or without an account, so a 429 says
    nothing about which addresses have one. The key is a keyed hash: the
    cache never holds an address.
    """

    def get_cache_key(self, request, view):
        email = request.data.get("email") if hasattr(request.data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None
        # Upper-case, as the case-insensitive email lookup compares.
        email = email.strip().upper().encode("utf-8", "surrogatepass")
        ident = salted_hmac(self.scope, email).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class PasswordResetEmailThrottle(EmailAddressThrottle):
    """Limit password-reset requests per email address."""

    scope = "password_reset_email"


class VerificationEmailThrottle(EmailAddressThrottle):
    """Limit requests for a new verification link per email address."""

    scope = "resend_verification_email"
