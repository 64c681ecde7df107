"""The docs views: OPTIONS answered plainly, the schema's errors in JSON, one version."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = ["/swagger-ui", "/swagger-ui?script=", "/redoc", "/swagger-ui/", "/redoc/"]
# What a browser, a generic client or a schema tool sends.
ACCEPTS = {
    "/api/schema": ["*/*", "application/json", "application/vnd.oai.openapi"],
    **dict.fromkeys(PAGES, ("text/html", "*/*", "text/html,application/xhtml+xml,*/*;q=0.8")),
}
CASES = [(path, accept) for path, accepts in ACCEPTS.items() for accept in accepts]


@pytest.mark.parametrize(("path", "accept"), CASES)
def test_options_on_a_docs_page_is_200_with_allow_and_no_body(api_client, path, accept):
    response = api_client.options(path, HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Allow"] == "GET, HEAD, OPTIONS"
    assert response.content == b""


@pytest.mark.parametrize("path", PAGES)
def test_options_on_a_docs_page_for_json_is_an_html_406_as_get_is(api_client, path):
    options = api_client.options(path, HTTP_ACCEPT="application/json")
    get = api_client.get(path, HTTP_ACCEPT="application/json")

    assert options.status_code == get.status_code == 406
    assert options["Content-Type"] == get["Content-Type"]


def test_options_on_a_docs_page_works_when_logged_in(api_client, admin_user):
    api_client.force_login(admin_user)

    response = api_client.options("/swagger-ui", HTTP_ACCEPT="text/html")

    assert (response.status_code, response.content) == (200, b"")


@pytest.mark.parametrize("query", ["format=%00", "format=xml", "format=openapi-xml", "format=html"])
def test_schema_with_an_unknown_format_is_json_404(api_client, query):
    response = api_client.get(f"/api/schema?{query}")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "image/*"])
def test_schema_for_an_accept_it_cannot_meet_is_json_406(api_client, accept):
    response = api_client.get("/api/schema", HTTP_ACCEPT=accept)

    assert response.status_code == 406
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "Could not satisfy the request Accept header.",
        "code": "not_acceptable",
    }


@pytest.mark.parametrize("version", ["%0D%0AX-Injected:%201", "%00", "2.0", "%FF", "a%22b"])
def test_schema_ignores_a_version_parameter(api_client, version):
    response = api_client.get(f"/api/schema?format=json&version={version}")

    assert response.status_code == 200
    assert response.json()["info"]["version"] == "1.0.0"
    assert response["Content-Disposition"] == 'inline; filename="User account service.json"'
    assert "X-Injected" not in response


@pytest.mark.parametrize(
    ("query", "media_type"),
    [("", "application/vnd.oai.openapi"), ("format=json", "application/vnd.oai.openapi+json")],
)
def test_schema_still_serves_yaml_and_json(api_client, query, media_type):
    response = api_client.get(f"/api/schema?{query}")

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == media_type
