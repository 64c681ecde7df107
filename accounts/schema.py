"""How the docs present each operation: its task tag, its summary, its examples.

accounts.openapi.AutoSchema reads this module. OPERATIONS is the one place
that files an operation under a task and names it: a new route adds a line
there (project/tests/test_schema.py fails for an operation without one).
The examples come from the original service's README and show on the
operations whose views declare none of their own.
"""

from drf_spectacular.utils import OpenApiExample

# The docs' sections, in this order (Swagger UI and ReDoc group operations by tag).
TAGS = [
    {"name": "Authentication", "description": "Register, log in, refresh and end tokens."},
    {"name": "Profile", "description": "The caller's own account: read, change, password."},
    {
        "name": "Password reset",
        "description": "A forgotten password: a link by email, then a new one.",
    },
    {"name": "Email verification", "description": "Prove an address: the link sent by email."},
    {"name": "Sessions", "description": "The caller's logins: list them, end one or all."},
    {"name": "Security events", "description": "What happened to the caller's account."},
    {
        "name": "Admin: users",
        "description": "Admins only: list, change, delete accounts and roles.",
    },
    {"name": "Operations", "description": "Probes for load balancers and orchestrators."},
]

# (method, path as the contract writes it) -> (tag, summary).
OPERATIONS = {
    ("POST", "/user/register"): ("Authentication", "Register an account"),
    ("POST", "/user/login"): ("Authentication", "Log in: get an access and a refresh token"),
    ("POST", "/user/token/refresh"): (
        "Authentication",
        "Refresh: trade a refresh token for a new pair",
    ),
    ("POST", "/user/logout"): (
        "Authentication",
        "Log out: end the session of a refresh token",
    ),
    ("GET", "/user/profile"): ("Profile", "Read your account"),
    ("PUT", "/user/profile"): ("Profile", "Replace your username, email and names"),
    ("PATCH", "/user/profile"): ("Profile", "Change some of your username, email and names"),
    ("POST", "/user/change-password"): ("Profile", "Change your password"),
    ("POST", "/user/delete-account"): ("Profile", "Delete your account"),
    ("GET", "/user/export"): ("Profile", "Export what the service holds about you"),
    ("GET", "/user/events"): ("Security events", "List your account's security events"),
    ("POST", "/user/request-password-reset"): ("Password reset", "Ask for a reset link by email"),
    ("GET", "/user/reset-password/{token}"): ("Password reset", "Open a reset link: the form"),
    ("POST", "/user/reset-password/{token}"): (
        "Password reset",
        "Choose a new password with a reset link",
    ),
    ("GET", "/user/sessions"): ("Sessions", "List your live sessions"),
    ("DELETE", "/user/sessions/{id}"): ("Sessions", "End one of your sessions"),
    ("POST", "/user/logout-all"): ("Sessions", "Log out of all your sessions"),
    ("GET", "/user/verify-email/{token}"): (
        "Email verification",
        "Open a verification link: a page with a button",
    ),
    ("POST", "/user/verify-email/{token}"): (
        "Email verification",
        "Verify an address (or confirm an email change) with its link",
    ),
    ("POST", "/user/resend-verification"): (
        "Email verification",
        "Ask for a new verification link by email",
    ),
    ("GET", "/api/user"): ("Admin: users", "List, search and filter accounts"),
    ("GET", "/api/user/{id}"): ("Admin: users", "Read an account"),
    ("GET", "/api/user/{id}/events"): ("Admin: users", "List an account's security events"),
    ("POST", "/api/user/{id}/unlock"): (
        "Admin: users",
        "Unlock a username locked after failed logins",
    ),
    ("PUT", "/api/user/{id}"): (
        "Admin: users",
        "Replace an account's identity, names and active flag",
    ),
    ("PATCH", "/api/user/{id}"): (
        "Admin: users",
        "Change an account (deactivate with active: false)",
    ),
    ("DELETE", "/api/user/{id}"): ("Admin: users", "Delete an account"),
    ("PUT", "/api/user/{id}/make_admin"): ("Admin: users", "Grant the ADMIN role"),
    ("PUT", "/api/user/{id}/revoke_admin"): ("Admin: users", "Revoke the ADMIN role (superusers)"),
    ("GET", "/api/user/{id}/sessions"): ("Admin: users", "List an account's live sessions"),
    ("POST", "/api/user/{id}/logout_all"): ("Admin: users", "End every session of an account"),
    ("GET", "/healthz"): ("Operations", "Liveness: the process serves"),
    ("GET", "/readyz"): ("Operations", "Readiness: the database and cache answer"),
}

# The original service's README examples, as the docs show them.
USER_EXAMPLE = {
    "id": 1,
    "username": "user1",
    "email": "user1@example.com",
    "email_verified": True,
    "pending_email": None,
    "first_name": "User",
    "last_name": "One",
    "role": "USER",
    "active": True,
    "created_at": "2026-11-25T10:00:00Z",
    "updated_at": "2026-11-25T10:00:00Z",
    "last_login": None,
}
# The admin views' user object adds the lock after failed logins.
ADMIN_USER_EXAMPLE = {**USER_EXAMPLE, "locked_until": None}
_ADMIN_UPDATE = {
    "username": "user1",
    "email": "user1@example.com",
    "first_name": "User",
    "last_name": "One",
    "active": True,
}


def _message(name, msg):
    return OpenApiExample(name, response_only=True, value={"msg": msg})


def _request(name, value):
    return OpenApiExample(name, request_only=True, value=value)


SESSION_EXAMPLE = {
    "id": "tZl1flsq5jET6W9diW2gZA",
    "created_at": "2026-11-25T10:00:00Z",
    "last_used_at": "2026-11-25T11:00:00Z",
    "expires_at": "2026-12-09T11:00:00Z",
    "ip_address": "192.0.2.10",
    "user_agent": "curl/8.5.0",
    "current": True,
}


def _sessions(current):
    page = {"count": 1, "next": None, "previous": None}
    value = {**page, "results": [{**SESSION_EXAMPLE, "current": current}]}
    return [OpenApiExample("Sessions", response_only=True, value=value)]


# README examples for operations whose views declare none of their own.
EXAMPLES = {
    ("GET", "/user/sessions"): _sessions(current=True),
    ("DELETE", "/user/sessions/{id}"): [_message("Ended", "Session ended.")],
    ("POST", "/user/logout-all"): [_message("Logged out", "Logged out of all sessions.")],
    ("GET", "/api/user/{id}/sessions"): _sessions(current=False),
    ("POST", "/api/user/{id}/logout_all"): [
        _message("Logged out", "User logged out of all sessions.")
    ],
    ("GET", "/api/user"): [OpenApiExample("Users", response_only=True, value=ADMIN_USER_EXAMPLE)],
    ("GET", "/api/user/{id}"): [
        OpenApiExample("User", response_only=True, value=ADMIN_USER_EXAMPLE)
    ],
    ("PUT", "/api/user/{id}"): [
        _request("Update user", _ADMIN_UPDATE),
        OpenApiExample(
            "Updated",
            response_only=True,
            value={"msg": "Updated Successfully.", "user": ADMIN_USER_EXAMPLE},
        ),
    ],
    ("PATCH", "/api/user/{id}"): [
        _request("Deactivate user", {"active": False}),
        OpenApiExample(
            "Updated",
            response_only=True,
            value={"msg": "Updated Successfully.", "user": {**ADMIN_USER_EXAMPLE, "active": False}},
        ),
    ],
    ("DELETE", "/api/user/{id}"): [_message("Deleted", "User deleted.")],
    ("PUT", "/api/user/{id}/make_admin"): [
        _message("Granted", "User has been granted admin privileges.")
    ],
    ("PUT", "/api/user/{id}/revoke_admin"): [
        _message("Revoked", "Admin privileges have been revoked.")
    ],
    ("POST", "/api/user/{id}/unlock"): [_message("Unlocked", "Account unlocked.")],
    ("POST", "/user/request-password-reset"): [
        _request("Request a reset link", {"email": "user1@example.com"})
    ],
    ("POST", "/user/reset-password/{token}"): [
        _request(
            "Reset",
            {
                "token": "3XvseRjDpxWINYhh0w0Mss8-8m4nrqYPZwFp-rCAX4s",
                "new_password": "Brand-New-42",
            },
        )
    ],
}
