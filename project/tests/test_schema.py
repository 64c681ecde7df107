"""The OpenAPI document describes the contract exactly: operations, codes, auth, examples."""

import json
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.schema import OPERATIONS as SCHEMA_OPERATIONS
from accounts.schema import TAGS

pytestmark = pytest.mark.django_db

PROTECTED = [{"jwtAuth": []}]
# No security requirement: anyone may call (OpenAPI's reading of a missing key).
PUBLIC = None
BODY = {"400", "413", "415"}

# Every operation of API.md, its security and every status code it can answer with.
OPERATIONS = {
    ("POST", "/user/register"): (PUBLIC, {"201", *BODY, "429", "503"}),
    ("POST", "/user/login"): (PUBLIC, {"200", *BODY, "401", "403", "429", "503"}),
    ("POST", "/user/token/refresh"): (PUBLIC, {"200", *BODY, "401", "503"}),
    ("POST", "/user/logout"): (PUBLIC, {"200", *BODY, "401", "503"}),
    ("POST", "/user/request-password-reset"): (PUBLIC, {"200", *BODY, "429", "503"}),
    ("GET", "/user/reset-password/{token}"): (PUBLIC, {"200", "400", "503"}),
    ("POST", "/user/reset-password/{token}"): (PUBLIC, {"200", *BODY, "403", "429", "503"}),
    ("GET", "/user/verify-email/{token}"): (PUBLIC, {"200", "400", "503"}),
    ("POST", "/user/verify-email/{token}"): (PUBLIC, {"200", *BODY, "403", "429", "503"}),
    ("POST", "/user/resend-verification"): (PUBLIC, {"200", *BODY, "429", "503"}),
    ("GET", "/user/profile"): (PROTECTED, {"200", "401", "503"}),
    ("PUT", "/user/profile"): (PROTECTED, {"200", *BODY, "401", "403", "503"}),
    ("PATCH", "/user/profile"): (PROTECTED, {"200", *BODY, "401", "403", "503"}),
    ("POST", "/user/change-password"): (PROTECTED, {"200", *BODY, "401", "403", "503"}),
    ("GET", "/user/sessions"): (PROTECTED, {"200", "401", "404", "503"}),
    ("DELETE", "/user/sessions/{id}"): (PROTECTED, {"200", "401", "403", "404", "503"}),
    ("POST", "/user/logout-all"): (PROTECTED, {"200", "401", "403", "503"}),
    ("GET", "/user/events"): (PROTECTED, {"200", "400", "401", "404", "503"}),
    ("POST", "/user/delete-account"): (
        PROTECTED,
        {"200", *BODY, "401", "403", "409", "429", "503"},
    ),
    ("GET", "/user/export"): (PROTECTED, {"200", "401", "429", "503"}),
    ("GET", "/api/user"): (PROTECTED, {"200", "400", "401", "403", "404", "503"}),
    ("GET", "/api/user/{id}"): (PROTECTED, {"200", "401", "403", "404", "503"}),
    ("PUT", "/api/user/{id}"): (PROTECTED, {"200", *BODY, "401", "403", "404", "409", "503"}),
    ("PATCH", "/api/user/{id}"): (PROTECTED, {"200", *BODY, "401", "403", "404", "409", "503"}),
    ("DELETE", "/api/user/{id}"): (PROTECTED, {"200", "401", "403", "404", "409", "503"}),
    ("PUT", "/api/user/{id}/make_admin"): (PROTECTED, {"200", "400", "401", "403", "404", "503"}),
    ("PUT", "/api/user/{id}/revoke_admin"): (
        PROTECTED,
        {"200", "400", "401", "403", "404", "409", "503"},
    ),
    ("GET", "/api/user/{id}/sessions"): (PROTECTED, {"200", "401", "403", "404", "503"}),
    ("POST", "/api/user/{id}/logout_all"): (PROTECTED, {"200", "401", "403", "404", "503"}),
    ("GET", "/api/user/{id}/events"): (PROTECTED, {"200", "400", "401", "403", "404", "503"}),
    ("POST", "/api/user/{id}/unlock"): (PROTECTED, {"200", "401", "403", "404", "503"}),
    ("GET", "/healthz"): (PUBLIC, {"200"}),
    ("GET", "/readyz"): (PUBLIC, {"200", "503"}),
}
METHODS = ("get", "put", "patch", "post", "delete")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema?format=json")
    assert response.status_code == 200
    return response.json()


def _operations(schema):
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield method.upper(), path, item[method]


def _operation(schema, method, path):
    return schema["paths"][path][method.lower()]


def _ids():
    return [f"{method} {path}" for method, path in OPERATIONS]


def test_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


def test_schema_lists_exactly_the_contract_operations(schema):
    assert {(method, path) for method, path, _ in _operations(schema)} == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path"), list(OPERATIONS), ids=_ids())
def test_operation_declares_every_status_code_it_can_answer(schema, method, path):
    _security, codes = OPERATIONS[(method, path)]

    assert set(_operation(schema, method, path)["responses"]) == codes


@pytest.mark.parametrize(("method", "path"), list(OPERATIONS), ids=_ids())
def test_operation_security_is_bearer_exactly_when_login_is_required(schema, method, path):
    security, _codes = OPERATIONS[(method, path)]

    assert _operation(schema, method, path).get("security") == security


def test_bearer_scheme_accepts_the_login_access_token(schema):
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The `access_token` from `POST /user/login`, pasted alone "
        "(without `Bearer `).",
    }


def test_authorize_offers_the_bearer_scheme_alone(schema):
    assert list(schema["components"]["securitySchemes"]) == ["jwtAuth"]


def test_each_path_lists_its_methods_in_crud_order(schema):
    assert list(schema["paths"]["/api/user/{id}"]) == ["get", "put", "patch", "delete"]


def test_every_operation_has_a_task_tag_and_a_summary(schema):
    """A new route needs its line in accounts/schema.py OPERATIONS."""
    tags = [tag["name"] for tag in TAGS]
    for method, path, operation in _operations(schema):
        assert (method, path) in SCHEMA_OPERATIONS, (method, path)
        assert operation["tags"] == [SCHEMA_OPERATIONS[(method, path)][0]]
        assert operation["tags"][0] in tags
        assert operation["summary"]


def test_accounts_schema_names_no_operation_that_does_not_exist(schema):
    assert set(SCHEMA_OPERATIONS) == {(method, path) for method, path, _ in _operations(schema)}


def test_docs_list_the_tags_in_task_order(schema):
    assert [tag["name"] for tag in schema["tags"]] == [
        "Authentication",
        "Profile",
        "Password reset",
        "Email verification",
        "Sessions",
        "Security events",
        "Admin: users",
        "Operations",
    ]


def test_operations_keep_the_urlconf_order(schema):
    paths = list(schema["paths"])

    assert paths.index("/user/register") < paths.index("/user/login") < paths.index("/user/logout")


def test_user_ids_are_typed_integers_and_tokens_and_session_ids_strings(schema):
    for method, path, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "path":
                continue
            session = path.startswith("/user/sessions/")
            expected = {"id": "string" if session else "integer", "token": "string"}[
                parameter["name"]
            ]
            assert parameter["schema"]["type"] == expected, (method, path)
            assert parameter["required"] is True
            if expected == "integer":  # one spelling: no zero, no leading zeros
                assert parameter["schema"]["minimum"] == 1, (method, path)


@pytest.mark.parametrize(("method", "path"), list(OPERATIONS), ids=_ids())
def test_every_body_operation_accepts_json(schema, method, path):
    operation = _operation(schema, method, path)
    if "413" not in operation["responses"]:
        assert "requestBody" not in operation
        return
    assert "application/json" in operation["requestBody"]["content"]


def test_errors_use_the_shared_shapes(schema):
    components = schema["components"]["schemas"]
    for method, path, operation in _operations(schema):
        for code, response in operation["responses"].items():
            body = response.get("content", {}).get("application/json", {}).get("schema", {})
            if not code.startswith("4") or "$ref" not in body:
                continue
            name = body["$ref"].rsplit("/", 1)[1]
            if code == "400":
                assert name == "ValidationError", (method, path, code)
            else:  # {"detail": "...", "code": "..."}
                properties = components[name]["properties"]
                assert properties["detail"]["type"] == properties["code"]["type"] == "string"
    assert set(components["Error"]["required"]) == {"detail", "code"}
    assert components["ValidationError"]["additionalProperties"] == {
        "type": "array",
        "items": {"type": "string"},
    }


def test_401_names_the_bearer_challenge_and_429_the_retry_delay(schema):
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        if "401" in responses:
            assert "WWW-Authenticate" in responses["401"]["headers"], (method, path)
        if "429" in responses:
            assert "Retry-After" in responses["429"]["headers"], (method, path)


def test_error_examples_show_the_real_bodies(schema):
    login = _operation(schema, "POST", "/user/login")["responses"]
    example = next(iter(login["401"]["content"]["application/json"]["examples"].values()))

    assert example["value"] == {
        "detail": "Invalid username or password.",
        "code": "invalid_credentials",
    }


def test_examples_come_from_the_readme(schema):
    register = _operation(schema, "POST", "/user/register")
    request = register["requestBody"]["content"]["application/json"]["examples"]["Register"]
    response = register["responses"]["201"]["content"]["application/json"]["examples"]

    assert request["value"] == {
        "username": "user1",
        "first_name": "User",
        "last_name": "One",
        "email": "user1@example.com",
        "password": "Correct-Horse-42",
    }
    assert response["Registered"]["value"]["msg"] == "User registered successfully."
    login = _operation(schema, "POST", "/user/login")["requestBody"]["content"]
    assert login["application/json"]["examples"]["Login"]["value"]["username"] == "user1"


def test_no_response_schema_mentions_a_password(schema):
    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            continue  # request bodies: login, registration, password changes
        assert not any("password" in field for field in component.get("properties", {})), name


def test_served_schema_matches_the_generated_one(schema, tmp_path):
    call_command("spectacular", "--format", "openapi-json", "--file", str(tmp_path / "s.json"))

    assert json.loads((tmp_path / "s.json").read_text())["paths"] == schema["paths"]


@pytest.mark.parametrize("path", ["/swagger-ui", "/swagger-ui/", "/redoc", "/redoc/"])
def test_docs_pages_are_served(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_query_parameters_are_typed_consistently(schema):
    python_types = {"string": str, "integer": int, "boolean": bool, "number": (int, float)}
    for method, path, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            parameter_schema = parameter["schema"]
            expected = python_types[parameter_schema["type"]]
            for value in parameter_schema.get("enum", []):
                assert isinstance(value, expected), (method, path, parameter["name"], value)


@pytest.mark.parametrize(("method", "path"), list(OPERATIONS), ids=_ids())
def test_every_operation_shows_an_example_answer(schema, method, path):
    responses = _operation(schema, method, path)["responses"]
    success = next(code for code in ("200", "201") if code in responses)
    content = responses[success]["content"]
    if "application/json" not in content:
        return  # the reset page: HTML
    assert content["application/json"]["examples"], (method, path)


def test_admin_examples_come_from_the_readme(schema):
    update = _operation(schema, "PUT", "/api/user/{id}")
    request = update["requestBody"]["content"]["application/json"]["examples"]
    answer = update["responses"]["200"]["content"]["application/json"]["examples"]
    granted = _operation(schema, "PUT", "/api/user/{id}/make_admin")["responses"]["200"]

    assert set(request["UpdateUser"]["value"]) == {
        "username",
        "email",
        "first_name",
        "last_name",
        "active",
    }
    assert answer["Updated"]["value"]["msg"] == "Updated Successfully."
    assert granted["content"]["application/json"]["examples"]["Granted"]["value"] == {
        "msg": "User has been granted admin privileges."
    }


def test_every_request_body_is_documented_as_json_only(schema):
    bodies = {
        (method, path): list(operation["requestBody"]["content"])
        for method, path, operation in _operations(schema)
        if "requestBody" in operation
    }

    assert ("PATCH", "/api/user/{id}") in bodies
    assert all(media_types == ["application/json"] for media_types in bodies.values()), bodies


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_reset_page_operations_say_its_form_posts_form_encoded(schema, method):
    operation = _operation(schema, method, "/user/reset-password/{token}")

    assert "application/x-www-form-urlencoded" in operation["description"]


SNAPSHOT = Path(__file__).with_name("openapi.snapshot.json")


def test_schema_matches_the_snapshot(schema):
    """The whole document, compared with a saved copy: work on speed must change none of it.

    After an intended change, rewrite it with
    `UPDATE_SCHEMA_SNAPSHOT=1 ./dev test project/tests/test_schema.py` and commit it.
    """
    text = json.dumps(schema, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SCHEMA_SNAPSHOT") == "1":
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text(), (
        "The OpenAPI document changed. If intended, run "
        "UPDATE_SCHEMA_SNAPSHOT=1 ./dev test project/tests/test_schema.py and commit the snapshot."
    )
