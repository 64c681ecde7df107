"""The OpenAPI document's error responses, derived from each view's own policy.

drf-spectacular documents only what a view declares. Every operation can
also fail in ways its view's classes decide: a body brings 400/413/415, a
required login brings 401, a permission or CSRF check 403, a lookup in the
path 404, filters 400 and pagination 404 on lists, a throttle 429, a
database read 503. This schema class adds those
responses, with the shapes `project.errors` produces, unless the view
already declares that status code itself.
"""

import uritemplate
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import permissions, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.settings import api_settings

from accounts.schema import EXAMPLES, OPERATIONS, TAGS

BODY_METHODS = ("POST", "PUT", "PATCH")
# An id in a path: ASCII digits, no leading zero (UserAdminViewSet.lookup_value_regex).
ID_PATTERN = "^[1-9][0-9]*$"


class ErrorSerializer(serializers.Serializer):
    """A request-level error: what went wrong, and a stable machine-readable code."""

    detail = serializers.CharField()
    code = serializers.CharField()


VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Either field errors (each field name maps to its messages; "
    "`non_field_errors` for the body as a whole) or, for an unreadable body, "
    "`detail` and `code`.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

# (description, example body, extra response headers) per status code.
ERRORS = {
    400: (
        "Invalid input: field errors, or a body that is not valid JSON.",
        {"username": ["A user with that username already exists."]},
        {},
    ),
    401: (
        "Missing, invalid or expired credentials.",
        {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"},
        {
            "WWW-Authenticate": {
                "description": 'Always `Bearer realm="api"`.',
                "schema": {"type": "string"},
            }
        },
    ),
    403: (
        "Authenticated but not allowed (or a session request without a CSRF token).",
        {
            "detail": "You do not have permission to perform this action.",
            "code": "permission_denied",
        },
        {},
    ),
    404: (
        "No such object.",
        {"detail": "No User matches the given query.", "code": "not_found"},
        {},
    ),
    409: (
        "The change would break an invariant (e.g. leave no active admin).",
        {
            "detail": "The request conflicts with the current state of the resource.",
            "code": "conflict",
        },
        {},
    ),
    413: (
        "The request body is larger than the server accepts.",
        {"detail": "The request body is too large.", "code": "request_too_large"},
        {},
    ),
    415: (
        "The body's content type is not accepted; send `application/json`.",
        {
            "detail": 'Unsupported media type "text/plain" in request.',
            "code": "unsupported_media_type",
        },
        {},
    ),
    429: (
        "Too many requests; retry after the given number of seconds.",
        {
            "detail": "Request was throttled. Expected available in 60 seconds.",
            "code": "throttled",
        },
        {
            "Retry-After": {
                "description": "Seconds to wait before retrying.",
                "schema": {"type": "integer"},
            }
        },
    ),
    503: (
        "The database is unreachable; retry shortly.",
        {
            "detail": "The service is temporarily unavailable; try again shortly.",
            "code": "service_unavailable",
        },
        {},
    ),
}


def error_response(code, description=None, example=None):
    """Describe an error response in the shared shape, for views declaring their own."""
    default_description, default_example, _headers = ERRORS.get(code, ("", None, {}))
    example = example or default_example
    return OpenApiResponse(
        response=ErrorSerializer,
        description=description or default_description,
        examples=[OpenApiExample(f"{code} error", value=example)] if example else [],
    )


class AutoSchema(BaseAutoSchema):
    """drf-spectacular's AutoSchema, adding the error responses each operation can give."""

    def get_examples(self):
        return EXAMPLES.get((self.method, self.path), [])

    def get_auth(self):
        auths = super().get_auth()
        # Anonymous access only ([{}]) is stated as no `security` at all, which
        # OpenAPI reads the same way. openapi-python-client takes any non-empty
        # list as "log in first" and would make register and login demand an
        # AuthenticatedClient.
        return [] if auths == [{}] else auths

    def get_tags(self):
        tag, _summary = OPERATIONS.get((self.method, self.path), (None, None))
        return [tag] if tag else super().get_tags()

    def get_summary(self):
        _tag, summary = OPERATIONS.get((self.method, self.path), (None, None))
        return summary or super().get_summary()

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in sorted(self.get_error_codes()):
            if str(code) not in responses:
                responses[str(code)] = self._error_response(code)
        for code, (_description, _example, headers) in ERRORS.items():
            if headers and str(code) in responses:
                responses[str(code)].setdefault("headers", headers)
        return responses

    def get_error_codes(self):
        """Return the error status codes this operation's view can answer with."""
        view, codes = self.view, set()
        # A body is parsed (and can be refused) only where the view reads one.
        has_body = self.method in BODY_METHODS and self.get_request_serializer() is not None
        authenticators = view.get_authenticators()
        permission_classes = {type(p) for p in view.get_permissions()}
        login_required = permissions.AllowAny not in permission_classes
        if has_body:
            codes |= {400, 413, 415}
        if login_required and authenticators:
            codes.add(401)
        csrf_checked = self.method not in permissions.SAFE_METHODS and any(
            isinstance(a, SessionAuthentication) for a in authenticators
        )
        if (permission_classes - {permissions.AllowAny, permissions.IsAuthenticated}) or (
            login_required and csrf_checked
        ):
            codes.add(403)
        if self._has_lookup_in_path():
            codes.add(404)
        if self.method == "GET" and self._is_list_view():
            if getattr(view, "filterset_class", None) or getattr(view, "filterset_fields", None):
                codes.add(400)  # a filter value that is not one of its choices
            if self._get_paginator():
                codes.add(404)  # a page number past the end
        if view.get_throttles():
            codes.add(429)
        if has_body or authenticators or uritemplate.variables(self.path):
            codes.add(503)  # anything that reads the database
        return codes

    def _get_parameters(self):
        parameters = super()._get_parameters()
        for parameter in parameters:
            schema = parameter.get("schema", {})
            if schema.get("type") == "boolean" and "enum" in schema:
                # A TypedChoiceFilter of "true"/"false": a boolean, no string enum.
                del schema["enum"]
        return parameters

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if "\\w" in schema.get("pattern", ""):
            # JSON Schema's \w is ECMA-262's, ASCII only; Django's usernames
            # take any Unicode letter. The description states the rule instead.
            del schema["pattern"]

    def _has_lookup_in_path(self):
        if not isinstance(self.view, GenericAPIView):
            return False
        lookup = self.view.lookup_url_kwarg or self.view.lookup_field
        if lookup == "pk" and api_settings.SCHEMA_COERCE_PATH_PK:
            lookup = "id"
        return lookup in uritemplate.variables(self.path)

    def _resolve_path_parameters(self, variables):
        """Type id path parameters (`[1-9][0-9]*` in the URL) as positive integers."""
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"].get("pattern") == ID_PATTERN:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters

    def _error_response(self, code):
        if code != 400:
            response = error_response(code)
        else:
            component = ResolvedComponent(
                name="ValidationError",
                type=ResolvedComponent.SCHEMA,
                object="ValidationError",
                schema=VALIDATION_ERROR_SCHEMA,
            )
            self.registry.register_on_missing(component)
            description, example, _headers = ERRORS[400]
            response = OpenApiResponse(
                response=component.ref,
                description=description,
                examples=[OpenApiExample("400 error", value=example)],
            )
        return self._get_response_for_code(response, str(code), ["application/json"])


def strip_optional_slash(endpoints):
    """Name each route without its optional trailing slash, as the contract writes it."""
    return [
        (path.rstrip("/") if regex.endswith("/?$") and path != "/" else path, regex, method, view)
        for path, regex, method, view in endpoints
    ]


METHOD_ORDER = ("get", "post", "put", "patch", "delete")


def present(result, generator, request, public):
    """List the task tags in reading order, each path's methods in CRUD order; explain Authorize."""
    used = {tag for item in result["paths"].values() for op in item.values() for tag in op["tags"]}
    result["tags"] = [tag for tag in TAGS if tag["name"] in used]
    for path, item in result["paths"].items():
        result["paths"][path] = dict(
            sorted(item.items(), key=lambda entry: METHOD_ORDER.index(entry[0]))
        )
    schemes = result.get("components", {}).get("securitySchemes", {})
    if "jwtAuth" in schemes:
        schemes["jwtAuth"]["description"] = (
            "The `access_token` from `POST /user/login`, pasted alone (without `Bearer `)."
        )
    return result
