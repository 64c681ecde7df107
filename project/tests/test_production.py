"""The production set-up: deploy checks, and gunicorn serving the app and its static files."""

import json
import re

from project.tests import live

PRODUCTION = {
    "DEBUG": "false",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
}


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    env = live.app_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **PRODUCTION)

    result = live.manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert "System check identified no issues" in result.stdout, result.stdout + result.stderr


def test_gunicorn_serves_the_docs_and_their_hashed_static_files(tmp_path):
    env = live.app_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        STATIC_ROOT=tmp_path / "static",
        STATIC_MANIFEST="true",
    )
    live.manage(env, "collectstatic", "--noinput")
    live.manage(env, "migrate", "--noinput")

    with live.gunicorn(env, log_dir=tmp_path) as app:
        page = app.call("GET", "/swagger-ui/", headers={"Accept": "text/html"})
        [script] = re.findall(r'src="(/static/[^"]+\.js)"', page.text)[:1]
        asset = app.call("GET", script, headers={"Accept-Encoding": "gzip"})
        admin_css = app.call("GET", "/static/admin/css/base.css")

    assert page.status == 200
    # Hashed names are cached for ever, and sent compressed.
    assert re.search(r"\.[0-9a-f]{12}\.js$", script)
    assert asset.status == 200
    assert "immutable" in asset.headers["Cache-Control"]
    assert asset.headers["Content-Encoding"] == "gzip"
    # Unhashed names still work, with a short cache lifetime.
    assert admin_css.status == 200
    assert "immutable" not in admin_css.headers["Cache-Control"]


def test_gunicorn_writes_only_json_lines_and_one_per_request(tmp_path):
    env = live.app_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    live.manage(env, "migrate", "--noinput")

    with live.gunicorn(env, log_dir=tmp_path) as app:
        app.call("GET", "/user/profile?email=x@example.com")
        app.call("GET", "/no/such/page")
    entries = [json.loads(line) for line in app.log.read_text().splitlines()]

    # Startup's probe of /healthz, then the two requests; gunicorn's own
    # messages (booting, shutting down) are JSON too, and it writes no access log.
    requests = [(e["path"], e["status"]) for e in entries if e["logger"] == "project.request"]
    assert requests[-2:] == [("/user/profile", 401), ("/no/such/page", 404)]
    assert {e["logger"] for e in entries} <= {"project.request", "gunicorn.error", "py.warnings"}
    assert any(e["logger"] == "gunicorn.error" for e in entries)
