"""The bad-input catalogue: however wrong the request, a clear 4xx JSON error.

Over the public endpoints and the profile: malformed and non-object JSON,
wrong content types, empty and oversized bodies, over-long fields, NUL
bytes and control characters, wrong types, unknown query parameters and
non-integer ids. Each answer is a 4xx in the one JSON error shape, and
nothing is stored.
"""

import json
import re
from collections import defaultdict

import pytest
from django.urls import URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory, token_pair
from project.errors import wants_html

pytestmark = pytest.mark.django_db

NUL = "\x00"
# JSON values that are not strings, written as a client would send them;
# 1e400 is a valid JSON number that Python reads as infinity.
NOT_STRINGS = ["123", "0", "-1", "1.5", "1e400", "-1e400", "true", "false"]
NOT_STRINGS += ["[]", '["a"]', "{}", '{"a": "b"}']
VALID_BODIES = {
    "/user/register": {
        "username": "newcomer",
        "email": "newcomer@example.com",
        "first_name": "New",
        "last_name": "Comer",
        "password": "Correct-Horse-42",
    },
    "/user/login": {"username": "someone", "password": PASSWORD},
    "/user/token/refresh": {"refresh_token": "not-a-token"},
    "/user/logout": {"refresh_token": "not-a-token"},
    "/user/request-password-reset": {"email": "someone@example.com"},
    "/user/reset-password/bad-token": {"new_password": "Brand-New-Horse-77"},
    "/user/profile": {
        "username": "renamed",
        "email": "renamed@example.com",
        "first_name": "Re",
        "last_name": "Named",
    },
    "/user/change-password": {"current_password": PASSWORD, "new_password": "Brand-New-Horse-77"},
}
PUBLIC = ["/user/register", "/user/login", "/user/token/refresh", "/user/logout"]
PUBLIC += ["/user/request-password-reset", "/user/reset-password/bad-token"]
AUTHENTICATED = [("put", "/user/profile"), ("patch", "/user/profile")]
AUTHENTICATED += [("post", "/user/change-password")]
ENDPOINTS = [("post", path) for path in PUBLIC] + AUTHENTICATED
# Where a value of the wrong kind still reads as a (wrong) credential: 401.
CREDENTIAL_ENDPOINTS = ("/user/login", "/user/token/refresh", "/user/logout")
ENDPOINT_IDS = [f"{method.upper()} {path}" for method, path in ENDPOINTS]
FIELDS = [(method, path, field) for method, path in ENDPOINTS for field in VALID_BODIES[path]]
FIELD_IDS = [f"{method.upper()} {path} {field}" for method, path, field in FIELDS]


@pytest.fixture
def caller():
    return UserFactory(username="caller", first_name="Cal", last_name="Ler")


@pytest.fixture
def send(caller):
    """Send a raw body to an endpoint, as the caller for the authenticated ones."""

    def send(method, path, body, content_type="application/json", query=""):
        client = APIClient()
        if path in ("/user/profile", "/user/change-password"):
            token = token_pair(caller)["access_token"]
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return getattr(client, method)(f"{path}{query}", body, content_type=content_type)

    return send


@pytest.fixture
def nothing_stored(caller):
    """Assert after the test that no account appeared and the caller is untouched.

    `updated_at` aside: a PATCH without any known field is a valid no-op save.
    """
    before = list(User.objects.order_by("pk").values())
    yield
    after = list(User.objects.order_by("pk").values())
    for row in before + after:
        del row["updated_at"]
    assert after == before
    caller.refresh_from_db()
    assert caller.check_password(PASSWORD)


def _not_strings(fields):
    return {field: ["Not a valid string."] for field in fields}


def _untimed(body):
    return {key: value for key, value in body.items() if key != "updated_at"}


def _assert_error(response, *statuses):
    assert response.status_code in statuses, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body, dict) and body
    if "detail" in body:
        assert isinstance(body["detail"], str) and isinstance(body["code"], str)
    else:
        for messages in body.values():
            assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)
    return body


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=ENDPOINT_IDS)
class TestEveryEndpoint:
    @pytest.mark.parametrize(
        "body", ['{"username": ', "{'a': 1}", '{"a": 1,}', "\ufeff{}", "NaN", "\x00"]
    )
    def test_malformed_json_is_400(self, send, method, path, body):
        response = send(method, path, body)

        assert _assert_error(response, 400)["code"] == "parse_error"

    def test_invalid_utf8_is_400(self, send, method, path):
        response = send(method, path, b'{"username": "\xff\xfe"}')

        assert _assert_error(response, 400)["code"] == "parse_error"

    @pytest.mark.parametrize("body", ["[]", '"x"', "1", "null", "true", '[{"a": 1}]'])
    def test_non_object_json_is_400(self, send, method, path, body):
        response = send(method, path, body)

        assert _assert_error(response, 400) in (
            {"non_field_errors": [message]}
            for message in (
                f"Invalid data. Expected a dictionary, but got {kind}."
                for kind in ("list", "str", "int", "bool")
            )
        ) or response.json() == {"non_field_errors": ["No data provided"]}

    @pytest.mark.parametrize(
        "content_type", ["text/plain", "application/xml", "application/octet-stream"]
    )
    def test_wrong_content_type_is_415(self, send, method, path, content_type):
        response = send(method, path, json.dumps(VALID_BODIES[path]), content_type=content_type)

        body = _assert_error(response, 415)
        assert body["code"] == "unsupported_media_type"

    def test_oversized_body_is_413(self, send, method, path, settings):
        body = dict(VALID_BODIES[path])
        body["padding"] = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)

        response = send(method, path, json.dumps(body))

        assert _assert_error(response, 413) == {
            "detail": "The request body is too large.",
            "code": "request_too_large",
        }

    def test_too_many_form_fields_is_400(self, send, method, path, settings):
        body = "&".join(f"f{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

        response = send(method, path, body, content_type="application/x-www-form-urlencoded")

        if path.startswith("/user/reset-password/"):
            # The reset page's form posts here: form bodies get the HTML page.
            assert response.status_code == 400
            assert response["Content-Type"].startswith("text/html")
        else:
            _assert_error(response, 400)

    @pytest.mark.parametrize("value", NOT_STRINGS)
    def test_wrong_type_in_every_field_is_400_on_each_field(self, send, method, path, value):
        body = "{" + ", ".join(f'"{field}": {value}' for field in VALID_BODIES[path]) + "}"

        response = send(method, path, body)

        assert _assert_error(response, 400) == _not_strings(VALID_BODIES[path])

    def test_control_characters_are_never_a_server_error(self, send, method, path):
        control = "".join(map(chr, range(1, 32))) + "\x7f\u200b\u202e\ud7ff\ufffe"
        body = {field: f"a{control}b" for field in VALID_BODIES[path]}

        response = send(method, path, json.dumps(body))

        _assert_error(response, 400, 401 if path in CREDENTIAL_ENDPOINTS else 400)

    def test_lone_surrogates_in_every_field_are_400(self, send, method, path):
        fields = ", ".join(f'"{field}": "a\\ud800b"' for field in VALID_BODIES[path])
        body = "{" + fields + "}"

        response = send(method, path, body)

        errors = _assert_error(response, 400)
        messages = [message for field in errors.values() for message in field]
        assert any("Surrogate characters are not allowed" in m for m in messages)

    def test_number_too_long_to_read_is_400(self, send, method, path):
        response = send(method, path, '{"username": ' + "1" * 5000 + "}")

        assert _assert_error(response, 400)["code"] == "parse_error"

    def test_unknown_query_parameters_are_ignored(self, send, method, path):
        body = json.dumps({"unexpected": "field"})

        plain = send(method, path, body)
        with_query = send(method, path, body, query="?foo=bar&page=-1&id[]=1&%00=%00")

        assert with_query.status_code == plain.status_code
        assert _untimed(with_query.json()) == _untimed(plain.json())


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(("method", "path", "field"), FIELDS, ids=FIELD_IDS)
def test_very_long_field_is_400_on_that_field(send, method, path, field):
    body = {**VALID_BODIES[path], field: "a" * 10_000}

    response = send(method, path, json.dumps(body))

    assert field in _assert_error(response, 400)


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(("method", "path", "field"), FIELDS, ids=FIELD_IDS)
def test_nul_byte_in_field_is_400_on_that_field(send, method, path, field):
    body = {**VALID_BODIES[path], field: f"ab{NUL}cd@example.com"}

    response = send(method, path, json.dumps(body))

    errors = _assert_error(response, 400)
    assert "Null characters are not allowed." in errors[field]


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize("path", PUBLIC)
def test_empty_body_to_public_endpoint_is_400(send, path):
    response = send("post", path, "")

    _assert_error(response, 400)


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(
    ("method", "path"), [("put", "/user/profile"), ("post", "/user/change-password")]
)
def test_empty_body_to_authenticated_endpoint_is_400(send, method, path):
    response = send(method, path, "")

    _assert_error(response, 400)


@pytest.mark.usefixtures("nothing_stored")
def test_empty_patch_changes_nothing(send, caller):
    response = send("patch", "/user/profile", "")

    assert response.status_code == 200
    assert response.json()["username"] == caller.username


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize("field", ["username", "email", "password", "first_name", "last_name"])
def test_nul_byte_in_registration_stores_nothing(send, field):
    body = {**VALID_BODIES["/user/register"], field: f"x{NUL}y"}

    response = send("post", "/user/register", json.dumps(body))

    assert "Null characters are not allowed." in _assert_error(response, 400)[field]


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer a b", "Basic dXNlcjpwYXNz", "Bearer \x00", "Bearer " + "a" * 10_000],
)
def test_malformed_authorization_header_is_401(authorization):
    client = APIClient()

    response = client.get("/user/profile", HTTP_AUTHORIZATION=authorization)

    assert _assert_error(response, 401)["code"] in (
        "not_authenticated",
        "authentication_failed",
        "token_not_valid",
        "bad_authorization_header",
    )
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


# Fullwidth, Arabic-Indic, Devanagari, Bengali, mathematical bold and Thai
# zeros: Python's int() and \\d read these scripts' digits as numbers.
NON_ASCII_ZEROS = ["０", "٠", "०", "০", "𝟎", "๐"]
NON_ASCII_ONES = [chr(ord(zero) + 1) for zero in NON_ASCII_ZEROS]


NON_INTEGER_IDS = ["abc", "1.5", "-1", "+1", "0x1", "1e3", "%00", "0", "00", "1_0", "%201"]
NON_INTEGER_IDS += ["1%20", "%E2%80%8B1", *NON_ASCII_ONES]


@pytest.mark.parametrize("user_id", NON_INTEGER_IDS)
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_non_integer_user_id_is_404(admin_client_api, method, user_id):
    response = getattr(admin_client_api, method)(f"/api/user/{user_id}", {}, format="json")

    assert _assert_error(response, 404) == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize("spelling", ["0{}", "00{}", "000000000000{}"])
@pytest.mark.parametrize("action", ["", "/make_admin", "/revoke_admin"])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_id_with_leading_zeros_is_404_and_touches_nothing(
    superuser_client_api, user, method, action, spelling
):
    before = User.objects.filter(pk=user.pk).values().get()
    url = f"/api/user/{spelling.format(user.pk)}{action}"

    response = getattr(superuser_client_api, method)(url, {"active": False}, format="json")

    assert _assert_error(response, 404) == {"detail": "Not found.", "code": "not_found"}
    assert User.objects.filter(pk=user.pk).values().get() == before


@pytest.mark.parametrize("zero", NON_ASCII_ZEROS)
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_id_written_in_other_digits_is_404_and_touches_nothing(
    superuser_client_api, user, method, zero
):
    before = User.objects.filter(pk=user.pk).values().get()
    spelled = "".join(chr(ord(zero) + int(digit)) for digit in str(user.pk))

    response = getattr(superuser_client_api, method)(
        f"/api/user/{spelled}", {"active": False}, format="json"
    )

    assert _assert_error(response, 404) == {"detail": "Not found.", "code": "not_found"}
    assert User.objects.filter(pk=user.pk).values().get() == before


@pytest.mark.parametrize("user_id", ["99999999999999999999999", "9223372036854775808"])
@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_out_of_range_user_id_is_404(admin_client_api, method, user_id):
    response = getattr(admin_client_api, method)(f"/api/user/{user_id}", {}, format="json")

    assert _assert_error(response, 404)["code"] == "not_found"


@pytest.mark.parametrize(
    "token", ["%ED%A0%80", "%FF%FE", "%00", "a" * 5000, "..%2F..%2Fadmin", "%E2%80%AE"]
)
def test_odd_reset_tokens_are_a_clear_4xx(api_client, token):
    page = api_client.get(f"/user/reset-password/{token}")
    posted = api_client.post(
        f"/user/reset-password/{token}", {"new_password": "Brand-New-Horse-77"}, format="json"
    )

    assert page.status_code in (400, 404)
    assert _assert_error(posted, 400, 404)


@pytest.mark.usefixtures("nothing_stored")
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-16",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "application/x-www-form-urlencoded; charset=bogus",
        "application/jsonx",
        "json",
    ],
)
def test_odd_content_types_are_a_clear_4xx(send, content_type):
    body = json.dumps(VALID_BODIES["/user/register"] | {"username": "odd"}).encode()

    response = send("post", "/user/register", body, content_type=content_type)

    _assert_error(response, 400, 415)


def _json_string_fields(schema):
    """Yield (method, path, writable string fields) for every operation taking JSON."""
    components = schema["components"]["schemas"]
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            ref = content["application/json"]["schema"]["$ref"]
            properties = components[ref.rsplit("/", 1)[-1]]["properties"]
            fields = [
                name
                for name, spec in properties.items()
                if spec.get("type") == "string" and not spec.get("readOnly")
            ]
            if fields:
                yield method.upper(), path, fields


def test_every_string_field_of_every_json_body_refuses_other_types(superuser_client_api, user):
    schema = superuser_client_api.get("/api/schema?format=json").json()
    before = User.objects.filter(pk=user.pk).values().get()
    checked = set()

    for method, path, fields in _json_string_fields(schema):
        url = path.replace("{id}", str(user.pk)).replace("{token}", "bad-token")
        for value in NOT_STRINGS:
            body = "{" + ", ".join(f'"{field}": {value}' for field in fields) + "}"
            response = superuser_client_api.generic(method, url, body, "application/json")
            assert (response.status_code, response.json()) == (
                400,
                _not_strings(fields),
            ), (method, path, value)
        checked.add((method, path))

    # The admin routes too, which the catalogue above does not cover.
    assert {("PUT", "/api/user/{id}"), ("PATCH", "/api/user/{id}")} <= checked
    assert User.objects.filter(pk=user.pk).values().get() == before
    assert not User.objects.filter(username__in=["inf", "-inf", "123", "True"]).exists()


# Odd values for a query parameter: NUL, invalid UTF-8, a lone surrogate, a
# line break, a list, a huge number and a very long string.
ODD_QUERY_VALUES = ["%00", "a%00b", "%FF", "%ED%A0%80", "%0D%0AX-Injected:%201", "[]", "9" * 30]
ODD_QUERY_VALUES += ["x" * 5000, "-", ""]
API_QUERY_PARAMETERS = ["search", "role", "active", "ordering", "page", "page_size", "format"]
API_QUERY_PARAMETERS += ["type", "%00"]
# Each path and the parameters to try: its own and some it does not take.
QUERIES = {
    "/api/user": API_QUERY_PARAMETERS,
    "/api/user/{pk}": API_QUERY_PARAMETERS,
    "/user/profile": API_QUERY_PARAMETERS,
    "/healthz": API_QUERY_PARAMETERS,
    "/readyz": API_QUERY_PARAMETERS,
    # The document is generated anew for each request: its own parameters only.
    "/api/schema": ["format", "lang", "version"],
}


@pytest.mark.parametrize("path", QUERIES)
def test_odd_query_parameters_are_answered_in_the_error_shapes(superuser_client_api, user, path):
    url = path.format(pk=user.pk)
    for name in QUERIES[path]:
        for value in ODD_QUERY_VALUES:
            response = superuser_client_api.get(
                f"{url}?{name}={value}", HTTP_ACCEPT="application/json"
            )

            assert response.status_code < 500, (name, value)
            if response.status_code >= 400:
                _assert_error(response, response.status_code)


def _sample_paths(patterns, prefix=""):
    """Yield a path for every route outside the admin site, with sample arguments."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if not route.startswith("admin/"):
                yield from _sample_paths(entry.url_patterns, route)
            continue
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)
        yield "/" + route.replace("^", "").replace("/?$", "").replace("$", "")


ADMIN_PAGES = ["/admin/", "/admin/login/", "/admin/accounts/user/"]
ADMIN_PAGES += ["/admin/accounts/user/{pk}/change/", "/admin/accounts/user/{pk}/delete/"]


@pytest.mark.parametrize("accept", ["text/html", "application/json", "*/*"])
@pytest.mark.parametrize("login", ["anonymous", "bearer", "session"])
def test_options_on_every_route_is_never_a_server_error(client_for, superuser, login, accept):
    client = client_for(superuser) if login == "bearer" else APIClient()
    if login == "session":
        client.force_login(superuser)
    arguments = defaultdict(lambda: "1", pk=str(superuser.pk), token="bad-token")
    paths = [*_sample_paths(get_resolver().url_patterns), *ADMIN_PAGES]

    for path in paths:
        response = client.options(path.format_map(arguments), HTTP_ACCEPT=accept)

        assert response.status_code < 500, path
        if response.status_code < 400:
            continue
        if response["Content-Type"] == "application/json":
            _assert_error(response, response.status_code)
        else:  # an HTML page, or the browsable API answering a browser
            assert wants_html(response.wsgi_request) or accept == "text/html", path
            assert response["Content-Type"].startswith("text/html"), path
    assert "/swagger-ui" in paths and "/user/reset-password/{token}" in paths
