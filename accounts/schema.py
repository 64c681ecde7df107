"""The accounts' OpenAPI examples, taken from the original service's README.

accounts.openapi.AutoSchema shows them on the operations whose views declare
no examples of their own.
"""

from drf_spectacular.utils import OpenApiExample

# The original service's README examples, as the docs show them.
USER_EXAMPLE = {
    "id": 1,
    "username": "user1",
    "email": "user1@example.com",
    "first_name": "User",
    "last_name": "One",
    "role": "USER",
    "active": True,
    "created_at": "2026-11-25T10:00:00Z",
    "updated_at": "2026-11-25T10:00:00Z",
    "last_login": None,
}
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


# README examples for operations whose views declare none of their own.
EXAMPLES = {
    ("GET", "/api/user"): [OpenApiExample("Users", response_only=True, value=USER_EXAMPLE)],
    ("GET", "/api/user/{id}"): [OpenApiExample("User", response_only=True, value=USER_EXAMPLE)],
    ("PUT", "/api/user/{id}"): [
        _request("Update user", _ADMIN_UPDATE),
        OpenApiExample(
            "Updated",
            response_only=True,
            value={"msg": "Updated Successfully.", "user": USER_EXAMPLE},
        ),
    ],
    ("PATCH", "/api/user/{id}"): [
        _request("Deactivate user", {"active": False}),
        OpenApiExample(
            "Updated",
            response_only=True,
            value={"msg": "Updated Successfully.", "user": {**USER_EXAMPLE, "active": False}},
        ),
    ],
    ("DELETE", "/api/user/{id}"): [_message("Deleted", "User deleted.")],
    ("PUT", "/api/user/{id}/make_admin"): [
        _message("Granted", "User has been granted admin privileges.")
    ],
    ("PUT", "/api/user/{id}/revoke_admin"): [
        _message("Revoked", "Admin privileges have been revoked.")
    ],
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
