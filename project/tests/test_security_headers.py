"""Security headers on every response, a CSP fit for each page, and CORS by origin."""

import re

import pytest

pytestmark = pytest.mark.django_db

ALLOWED_ORIGIN = "https://app.example.com"
API_POLICY = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
NONCE = r"'nonce-[A-Za-z0-9+/]{22}=='"


@pytest.fixture
def cors_origins(settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED_ORIGIN]


def _directives(policy):
    return dict(
        (name, values)
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/healthz", 200),
        ("get", "/user/profile", 401),
        ("post", "/user/login", 400),
        ("get", "/no/such/page", 404),
        ("get", "/api/schema", 200),
    ],
)
def test_every_api_response_carries_the_security_headers(api_client, method, path, status):
    response = getattr(api_client, method)(path)

    assert response.status_code == status
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert _directives(response["Content-Security-Policy"]) == API_POLICY


@pytest.mark.parametrize("path", ["/swagger-ui", "/admin/login/", "/api-auth/login/"])
def test_html_pages_may_load_only_from_this_server(api_client, path):
    response = api_client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Frame-Options"] == "DENY"
    directives = _directives(response["Content-Security-Policy"])
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["connect-src"] == ["'self'"]


def test_a_page_with_an_inline_script_gets_a_nonce_and_nothing_else(api_client):
    directives = _directives(api_client.get("/redoc")["Content-Security-Policy"])

    assert directives["script-src"][0] == "'self'"
    assert re.fullmatch(NONCE, directives["script-src"][1])
    assert len(directives["script-src"]) == 2


def test_each_html_response_gets_a_fresh_nonce(api_client):
    first = _directives(api_client.get("/redoc")["Content-Security-Policy"])["script-src"][1]
    second = _directives(api_client.get("/redoc")["Content-Security-Policy"])["script-src"][1]

    assert first != second


def test_redoc_inline_script_carries_the_header_nonce(api_client):
    response = api_client.get("/redoc")

    nonce = _directives(response["Content-Security-Policy"])["script-src"][1][len("'nonce-") : -1]
    assert f'<script nonce="{nonce}">' in response.content.decode()


def test_docs_pages_link_nothing_outside_this_server(api_client):
    for path in ("/swagger-ui", "/redoc", "/swagger-ui?script="):
        content = api_client.get(path).content.decode()
        assert "fonts.googleapis.com" not in content
        assert not re.search(r"""(src|href)=["']https?://""", content), path


def test_swagger_ui_runs_no_inline_script(api_client):
    content = api_client.get("/swagger-ui").content.decode()

    sidecar = "/static/drf_spectacular_sidecar/swagger-ui-dist"
    assert re.findall(r"<script[^>]*>", content) == [
        f'<script src="{sidecar}/swagger-ui-bundle.js">',
        f'<script src="{sidecar}/swagger-ui-standalone-preset.js">',
        '<script src="/swagger-ui?script=">',
    ]


def test_hsts_is_sent_over_https_when_configured(api_client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = api_client.get("/healthz", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_preflight_from_an_allowed_origin_is_granted(api_client, cors_origins):
    response = api_client.options(
        "/user/login",
        HTTP_ORIGIN=ALLOWED_ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "POST" in response["Access-Control-Allow-Methods"]
    allowed_headers = response["Access-Control-Allow-Headers"]
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers


def test_preflight_from_another_origin_is_not_granted(api_client, cors_origins):
    response = api_client.options(
        "/user/login",
        HTTP_ORIGIN="https://evil.example.net",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Methods" not in response


def test_response_to_an_allowed_origin_names_it(user_client, cors_origins):
    response = user_client.get("/user/profile", HTTP_ORIGIN=ALLOWED_ORIGIN)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Access-Control-Allow-Credentials" not in response


def test_response_to_another_origin_does_not_name_it(user_client, cors_origins):
    response = user_client.get("/user/profile", HTTP_ORIGIN="https://evil.example.net")

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_no_origin_is_allowed_when_none_is_configured(user_client, settings):
    settings.CORS_ALLOWED_ORIGINS = []

    response = user_client.get("/user/profile", HTTP_ORIGIN=ALLOWED_ORIGIN)

    assert "Access-Control-Allow-Origin" not in response


def test_a_json_answer_that_a_csp_decorator_changed_gets_the_changed_policy(rf):
    from csp.decorators import csp_update
    from django.http import JsonResponse

    from project.security import ContentSecurityPolicyMiddleware

    @csp_update({"img-src": ["https://img.example.com"]})
    def view(request):
        return JsonResponse({})

    response = ContentSecurityPolicyMiddleware(view)(rf.get("/anything"))

    assert _directives(response["Content-Security-Policy"]) == {
        **API_POLICY,
        "img-src": ["https://img.example.com"],
    }
