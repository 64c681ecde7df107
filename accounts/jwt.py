"""The tokens handed to API clients: their claims, how they are made and read.

SimpleJWT signs and verifies them. What is added: every token names the
session it belongs to (the `sid` claim), and a token is refused unless its
claims have exactly the types and forms this module writes. A token signed
with the right key but holding a list, a float, a huge number or a
non-ASCII digit where the user id belongs (or a non-numeric expiry) is an
invalid token, a 401, never a 500 and never "some other user".

The refresh token is not SimpleJWT's RefreshToken: with the blacklist app
installed, that one writes an OutstandingToken row per token and queries the
blacklist on every read. The session row (accounts.sessions) is the
revocation state instead, so neither is needed.
"""

import functools
import re
from datetime import UTC, datetime

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenBackendExpiredToken, TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password

SESSION_CLAIM = "sid"

# What str(user.pk) gives for any BigAutoField id: ASCII digits, no sign, no
# leading zero, at most 18 digits (so always below 2**63, the column's range).
USER_ID_FORM = re.compile(r"[1-9][0-9]{0,17}")
# secrets.token_urlsafe(16), as accounts.sessions makes them.
SESSION_ID_FORM = re.compile(r"[A-Za-z0-9_-]{22}")
# uuid4().hex, as SimpleJWT makes them.
JTI_FORM = re.compile(r"[0-9a-f]{32}")
INVALID = _("Token is invalid or expired.")


class _StrictClaims:
    """Refuse a token whose claims are not of the form this service issues."""

    def __init__(self, token=None, verify=True):
        # PyJWT and SimpleJWT check exp/iat/nbf with int() and
        # datetime.fromtimestamp(): a list is a TypeError, 1e400 or 10**30
        # an OverflowError or ValueError. Any of them means a bad token.
        try:
            super().__init__(token, verify)
        except (TypeError, ValueError, OverflowError) as exc:
            raise TokenError(INVALID) from exc

    def verify(self):
        super().verify()
        checks = {
            api_settings.USER_ID_CLAIM: USER_ID_FORM,
            SESSION_CLAIM: SESSION_ID_FORM,
            api_settings.JTI_CLAIM: JTI_FORM,
        }
        for claim, form in checks.items():
            value = self.payload.get(claim)
            if not isinstance(value, str) or not form.fullmatch(value):
                raise TokenError(INVALID)

    @property
    def user_id(self):
        return int(self.payload[api_settings.USER_ID_CLAIM])

    @property
    def session_id(self):
        return self.payload[SESSION_CLAIM]

    @property
    def jti(self):
        return self.payload[api_settings.JTI_CLAIM]


class SessionAccessToken(_StrictClaims, AccessToken):
    """An access token of one session (SIMPLE_JWT's AUTH_TOKEN_CLASSES)."""

    def get_token_backend(self):
        return _remembering(super().get_token_backend())


# Access tokens whose signature each process remembers having verified.
VERIFIED_TOKENS_KEPT = 4096


@functools.cache
def _remembering(backend):
    return _RememberingBackend(backend)


class _RememberingBackend:
    """SimpleJWT's token backend, remembering the access tokens it has verified.

    Verifying a token (PyJWT checks its base64 character by character, then
    the HMAC and the JSON) costs an authenticated request more CPU than any
    other step of ours. What it verifies never changes for a given token
    and key, so the payload of a token verified once is kept (a bounded LRU
    per process: a cache of a pure function, not state that instances
    share) and only its expiry is checked again on each use, as PyJWT checks
    it. A token that fails is never kept; the key, algorithm, audience and
    issuer are part of the cache key. What does change (the session's end,
    the password, the account) is read from the database on every request
    (accounts.authentication).
    """

    def __init__(self, backend):
        self.backend = backend

    def __getattr__(self, name):
        return getattr(self.backend, name)

    def decode(self, token, verify=True):
        backend = self.backend
        if not verify or backend.jwks_client is not None:
            return backend.decode(token, verify)
        settings = (backend.signing_key, backend.verifying_key, backend.algorithm)
        try:
            payload = _verified(backend, token, settings, backend.audience, backend.issuer)
        except TypeError:  # a list of audiences: not a cache key
            return backend.decode(token, verify)
        # PyJWT's own expiry check (jwt.api_jwt), with the backend's leeway.
        now = datetime.now(tz=UTC).timestamp()
        if "exp" in payload and int(payload["exp"]) <= now - backend.get_leeway().total_seconds():
            raise TokenBackendExpiredToken(_("Token is expired"))
        return dict(payload)


@functools.lru_cache(maxsize=VERIFIED_TOKENS_KEPT)
def _verified(backend, token, settings, audience, issuer):
    return backend.decode(token, verify=True)


class SessionRefreshToken(_StrictClaims, Token):
    """A refresh token of one session; the session row says whether it is still good."""

    token_type = "refresh"  # noqa: S105 (the kind of token, not a secret)
    lifetime = api_settings.REFRESH_TOKEN_LIFETIME

    @property
    def expires_at(self):
        return datetime_from_epoch(self.payload["exp"])


def password_claim(user):
    """The claim that ties a token to the password it was issued under."""
    return get_md5_hash_password(user.password)


def issue_pair(user, session_id):
    """Return a new refresh token of the session and the response body with both tokens."""
    refresh = SessionRefreshToken()
    refresh[api_settings.USER_ID_CLAIM] = str(user.pk)
    refresh[SESSION_CLAIM] = session_id
    # A password change ends the sessions anyway; the claim also covers a
    # password set outside the services (manage.py changepassword, a shell).
    refresh[api_settings.REVOKE_TOKEN_CLAIM] = password_claim(user)
    access = SessionAccessToken()
    access.set_exp(from_time=refresh.current_time)
    for claim in (api_settings.USER_ID_CLAIM, SESSION_CLAIM, api_settings.REVOKE_TOKEN_CLAIM):
        access[claim] = refresh[claim]
    body = {
        "access_token": str(access),
        "refresh_token": str(refresh),
        "token_type": "Bearer",
        "expires_in": int(access.lifetime.total_seconds()),
    }
    return refresh, body


def read_refresh_token(raw_token):
    """Return the verified refresh token; raise TokenError if it is not one of ours."""
    return SessionRefreshToken(raw_token)
