"""Every error answers in one JSON shape, inside and outside DRF, with DEBUG off."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from project.errors import wants_html

pytestmark = [pytest.mark.django_db, pytest.mark.urls("project.tests.error_urls")]


@pytest.fixture
def client():
    """A client that gets the 500 response instead of the exception."""
    client = APIClient(raise_request_exception=False)
    return client


def test_debug_is_off_in_these_tests(settings):
    assert settings.DEBUG is False


def test_unknown_url_is_json_404(client):
    response = client.get("/no/such/page")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_non_numeric_user_id_is_json_404(admin_client_api):
    response = admin_client_api.get("/api/user/abc")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_admin_page_stays_html(admin_user):
    client = Client()
    client.force_login(admin_user)

    response = client.get("/admin/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_crash_outside_drf_is_json_500_without_internals(client):
    response = client.get("/test/crash")

    assert response.status_code == 500
    assert response.json() == {"detail": "A server error occurred.", "code": "server_error"}
    assert b"secret internals" not in response.content


def test_crash_in_drf_view_is_json_500_without_internals(client):
    response = client.get("/test/api/crash")

    assert response.status_code == 500
    assert response.json() == {"detail": "A server error occurred.", "code": "server_error"}
    assert b"secret internals" not in response.content


def test_lost_database_in_drf_view_is_503(client):
    response = client.get("/test/api/database")

    assert response.status_code == 503
    assert response.json() == {
        "detail": "The service is temporarily unavailable; try again shortly.",
        "code": "service_unavailable",
    }


def test_django_validation_error_in_drf_view_is_field_errors(client):
    response = client.get("/test/api/invalid")

    assert response.status_code == 400
    assert response.json() == {"email": ["Enter a valid email address."]}


def test_django_permission_denied_in_drf_view_is_json_403(client):
    response = client.get("/test/api/denied")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "You do not have permission to perform this action.",
        "code": "permission_denied",
    }


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/test/api/missing", 404, {"detail": "No such thing.", "code": "not_found"}),
        (
            "/test/api/refused",
            403,
            {
                "detail": "You do not have permission to perform this action.",
                "code": "permission_denied",
            },
        ),
        ("/test/api/conflict", 409, {"detail": "It clashes.", "code": "clash"}),
    ],
)
def test_service_refusals_in_drf_view_keep_their_message_and_code(client, path, status, body):
    response = client.get(path)

    assert response.status_code == status
    assert response.json() == body


def test_request_data_too_big_in_drf_view_is_413(client):
    response = client.get("/test/api/too-big")

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is too large.",
        "code": "request_too_large",
    }


def test_wrong_method_on_drf_view_is_json_405(client):
    response = client.get("/user/login")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "GET" not allowed.', "code": "method_not_allowed"}
    assert "POST" in response["Allow"]


def test_wrong_method_on_plain_django_view_is_json_405(client):
    response = client.put("/test/plain")

    assert response.status_code == 405
    assert response.json() == {"detail": 'Method "PUT" not allowed.', "code": "method_not_allowed"}
    assert response["Allow"] == "POST, OPTIONS"


def test_wrong_method_on_admin_page_stays_html(admin_user):
    client = Client()
    client.force_login(admin_user)

    response = client.get("/admin/logout/")

    assert response.status_code == 405
    assert not response["Content-Type"].startswith("application/json")


def test_csrf_failure_outside_drf_is_json_403():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/test/plain", {"a": "b"})

    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF verification failed.", "code": "csrf_failed"}


def test_csrf_failure_on_admin_stays_html():
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "x", "password": "y"})

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_session_request_without_csrf_token_is_json_403(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    response = client.patch("/user/profile", {"first_name": "Mallory"}, format="json")

    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "permission_denied"
    assert body["detail"].startswith("CSRF Failed")
    user.refresh_from_db()
    assert user.first_name != "Mallory"


def test_bad_host_header_is_json_400(client):
    response = client.get("/user/profile", HTTP_HOST="evil.example")  # probes take any Host

    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}


def test_oversized_body_to_drf_view_is_413_and_stores_nothing(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"username": "big", "email": "big@example.com", "password": "Correct-Horse-42"}
    body["first_name"] = "x" * 2000

    response = client.post("/user/register", body, format="json")

    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request body is too large.",
        "code": "request_too_large",
    }
    assert not User.objects.exists()


def test_oversized_body_to_plain_django_view_is_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    body = "a=" + "x" * 2000

    response = client.post("/test/plain", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_oversized_body_to_admin_stays_html(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    body = "username=" + "x" * 2000

    response = client.post("/admin/login/", body, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_oversized_multipart_field_to_drf_view_is_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post(
        "/user/login", {"username": "x" * 2000, "password": "y"}, format="multipart"
    )

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_malformed_json_is_400_with_code(client):
    response = client.post("/user/login", '{"username": ', content_type="application/json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert body["detail"].startswith("JSON parse error")


def test_json_nested_50000_levels_is_400(client):
    body = "[" * 50_000 + "]" * 50_000

    response = client.post("/user/login", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "JSON parse error - nested too deeply.",
        "code": "parse_error",
    }


def test_wrong_content_type_is_415_with_code(client):
    response = client.post("/user/login", "username=a", content_type="text/plain")

    assert response.status_code == 415
    assert response.json() == {
        "detail": 'Unsupported media type "text/plain" in request.',
        "code": "unsupported_media_type",
    }


def test_missing_token_is_401_with_code_and_bearer_challenge(client):
    response = client.get("/user/profile")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_throttled_request_is_429_with_code_and_retry_after(client, settings):
    settings.LOGIN_LOCKOUT_THRESHOLD = 1000  # the throttle, not the lockout, answers here
    credentials = {"username": "nobody", "password": "wrong"}
    for _ in range(10):  # THROTTLE_LOGIN_USERNAME: 10 failures a minute
        client.post("/user/login", credentials, format="json")

    response = client.post("/user/login", credentials, format="json")

    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("get", "/no/such/page", 404, {"detail": "Not found.", "code": "not_found"}),
        ("get", "/test/crash", 500, {"detail": "A server error occurred.", "code": "server_error"}),
        (
            "get",
            "/test/api/crash",
            500,
            {"detail": "A server error occurred.", "code": "server_error"},
        ),
        (
            "put",
            "/test/plain",
            405,
            {"detail": 'Method "PUT" not allowed.', "code": "method_not_allowed"},
        ),
    ],
)
def test_errors_stay_json_with_debug_on(client, settings, method, path, status, body):
    settings.DEBUG = True

    response = getattr(client, method)(path)

    assert response.status_code == status
    assert response.json() == body
    assert b"secret internals" not in response.content


def test_debug_pages_stay_for_the_admin_site(admin_user, settings):
    settings.DEBUG = True
    client = Client()
    client.force_login(admin_user)

    response = client.get("/admin/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("application/json", False),
        ("*/*", False),
        ("", False),
    ],
)
def test_reset_page_errors_are_html_only_for_browsers(rf, accept, html):
    request = rf.get("/user/reset-password/abc", HTTP_ACCEPT=accept)

    assert wants_html(request) is html


def test_api_errors_are_json_even_for_browsers(rf):
    request = rf.get("/user/profile", HTTP_ACCEPT="text/html,*/*;q=0.8")

    assert wants_html(request) is False


def test_a_bad_authorization_header_is_a_sentence(client):
    response = client.get("/user/profile", HTTP_AUTHORIZATION="Bearer")

    assert response.status_code == 401
    assert response.json() == {
        "detail": "Authorization header must contain two space-delimited values.",
        "code": "bad_authorization_header",
    }


def test_a_malformed_token_is_a_sentence_and_so_are_simplejwt_messages(client):
    response = client.get("/user/profile", HTTP_AUTHORIZATION="Bearer not-a-jwt")

    assert response.status_code == 401
    body = response.json()
    assert (body["detail"], body["code"]) == (
        "Given token not valid for any token type.",
        "token_not_valid",
    )
    assert [message["message"] for message in body["messages"]] == ["Token is invalid."]


def test_refresh_with_a_bad_token_says_so_in_a_sentence(client):
    response = client.post("/user/token/refresh", {"refresh_token": "abc"}, format="json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Token is invalid or expired.", "code": "token_not_valid"}
