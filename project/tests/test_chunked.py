"""Chunked request bodies: sent raw to gunicorn and to runserver, and through the wrapper.

Under gunicorn a chunked body is read (within DATA_UPLOAD_MAX_MEMORY_SIZE)
and acts like the same body sent with Content-Length; a longer one is 413
and changes nothing. Where the server cannot decode chunks (runserver) the
answer is 411, never a success for a change not made.
"""

import contextlib
import http.client
import io
import json
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings

from accounts.tests.fixtures import ADMIN_PASSWORD
from project.chunked import ChunkedBodyMiddleware
from project.tests import live

PASSWORD = "Chunked-Body-Passw0rd"


def chunked_request(url, method, path, body, token=None, chunk_size=7, extra=b""):
    """Send `body` raw, in chunks of `chunk_size` bytes, and return (status, headers, JSON)."""
    host, port = url.removeprefix("http://").split(":")
    head = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}",
        "Content-Type: application/json",
        "Accept: application/json",
        "Transfer-Encoding: chunked",
        "Connection: close",
    ]
    if token:
        head.append(f"Authorization: Bearer {token}")
    raw = ("\r\n".join(head) + "\r\n\r\n").encode()
    for start in range(0, len(body), chunk_size):
        chunk = body[start : start + chunk_size]
        raw += b"%x%s\r\n%s\r\n" % (len(chunk), extra, chunk)
    raw += b"0\r\n\r\n"
    with socket.create_connection((host, int(port)), timeout=60) as sock:
        # Sent beside the read: a server that refuses the body (413) answers and
        # closes before it has all of it, and the rest of the send then fails.
        sender = threading.Thread(target=_send_what_is_taken, args=(sock, raw))
        sender.start()
        response = http.client.HTTPResponse(sock)
        response.begin()
        text = response.read()
        sender.join()
    return response.status, dict(response.getheaders()), json.loads(text)


def _send_what_is_taken(sock, raw):
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(raw)


def _register(app, username):
    return app.register(username, PASSWORD)


def _login(app, username, password=PASSWORD):
    return app.log_in(username, password)["access_token"]


@pytest.fixture(scope="module")
def admin_token(gunicorn_app):
    return _login(gunicorn_app, "live_admin", ADMIN_PASSWORD)


def _account(app, admin_token, user_id):
    answer = app.call("GET", f"/api/user/{user_id}", token=admin_token)
    assert answer.status == 200, answer.text
    return answer.json()


def _find(app, admin_token, username):
    answer = app.call("GET", f"/api/user?search={username}", token=admin_token)
    return [user for user in answer.json()["results"] if user["username"] == username]


def _json(value):
    return json.dumps(value).encode()


@pytest.mark.parametrize("chunk_size", [1, 7, 4096])
def test_chunked_admin_update_is_applied(gunicorn_app, admin_token, chunk_size):
    user_id = _register(gunicorn_app, f"chunk_target_{chunk_size}")

    status, _headers, body = chunked_request(
        gunicorn_app.url,
        "PATCH",
        f"/api/user/{user_id}",
        _json({"active": False, "first_name": "Streamed"}),
        admin_token,
        chunk_size,
    )

    assert (status, body.get("msg")) == (200, "Updated Successfully."), body
    assert (body["user"]["active"], body["user"]["first_name"]) == (False, "Streamed")
    stored = _account(gunicorn_app, admin_token, user_id)
    assert (stored["active"], stored["first_name"]) == (False, "Streamed")


def test_chunked_registration_creates_the_account(gunicorn_app, admin_token):
    body = {"username": "streamer", "email": "streamer@example.com", "password": PASSWORD}

    status, _headers, answer = chunked_request(
        gunicorn_app.url, "POST", "/user/register", _json(body)
    )

    assert (status, answer["msg"]) == (201, "User registered successfully.")
    [stored] = _find(gunicorn_app, admin_token, "streamer")
    assert stored["email"] == "streamer@example.com"


def test_chunked_login_and_profile_update_work(gunicorn_app, admin_token):
    user_id = _register(gunicorn_app, "chunk_login")
    credentials = _json({"username": "chunk_login", "password": PASSWORD})

    status, _headers, tokens = chunked_request(gunicorn_app.url, "POST", "/user/login", credentials)
    status_put, _headers, profile = chunked_request(
        gunicorn_app.url,
        "PUT",
        "/user/profile",
        _json(
            {"username": "chunk_login", "email": "chunk_login@example.com", "last_name": "Moved"}
        ),
        tokens["access_token"],
    )

    assert (status, tokens["token_type"]) == (200, "Bearer")
    assert (status_put, profile["last_name"]) == (200, "Moved")
    assert _account(gunicorn_app, admin_token, user_id)["last_name"] == "Moved"


def test_chunk_extensions_are_ignored(gunicorn_app, admin_token):
    body = {"username": "extended", "email": "extended@example.com", "password": PASSWORD}

    status, _headers, _answer = chunked_request(
        gunicorn_app.url, "POST", "/user/register", _json(body), extra=b";name=value"
    )

    assert status == 201
    assert _find(gunicorn_app, admin_token, "extended")


def test_empty_chunked_body_is_treated_as_an_empty_body(gunicorn_app):
    status, _headers, answer = chunked_request(gunicorn_app.url, "POST", "/user/register", b"")

    assert status == 400
    assert set(answer) == {"username", "email", "password"}


def test_invalid_chunked_body_is_a_field_error_and_stores_nothing(gunicorn_app, admin_token):
    body = b'{"username": 1e400, "email": "inf@example.com", "password": "%s"}' % PASSWORD.encode()

    status, _headers, answer = chunked_request(gunicorn_app.url, "POST", "/user/register", body)

    assert (status, answer) == (400, {"username": ["Not a valid string."]})
    assert not _find(gunicorn_app, admin_token, "inf")


def _padded_update(size):
    """Return a PATCH body of exactly `size` bytes renaming and deactivating the account."""
    empty = _json({"active": False, "first_name": "Big", "last_name": ""})
    return _json({"active": False, "first_name": "Big", "last_name": "x" * (size - len(empty))})


def test_chunked_body_at_the_size_limit_is_read(gunicorn_app, admin_token):
    user_id = _register(gunicorn_app, "chunk_limit")
    body = _padded_update(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

    status, _headers, answer = chunked_request(
        gunicorn_app.url, "PATCH", f"/api/user/{user_id}", body, admin_token, 65536
    )

    # Read whole: the only complaint is the over-long last name.
    assert len(body) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert (status, answer) == (
        400,
        {"last_name": ["Ensure this field has no more than 150 characters."]},
    )


@pytest.mark.parametrize("excess", [1, 65536, 3_000_000])
def test_chunked_body_over_the_size_limit_is_413_and_changes_nothing(
    gunicorn_app, admin_token, excess
):
    user_id = _register(gunicorn_app, f"chunk_big_{excess}")
    body = _padded_update(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + excess)

    status, headers, answer = chunked_request(
        gunicorn_app.url, "PATCH", f"/api/user/{user_id}", body, admin_token, 65536
    )

    assert (status, answer) == (
        413,
        {"detail": "The request body is too large.", "code": "request_too_large"},
    )
    assert headers["Content-Type"] == "application/json"
    stored = _account(gunicorn_app, admin_token, user_id)
    assert (stored["active"], stored["first_name"]) == (True, "")


def test_runserver_refuses_a_chunked_body_with_411(tmp_path):
    port = live.free_port()
    env = live.app_env(DATABASE_URL=f"sqlite:///{tmp_path / 'runserver.sqlite3'}")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=live.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process)
        body = {"username": "dev_server", "email": "dev@example.com", "password": PASSWORD}
        status, headers, answer = chunked_request(
            f"http://127.0.0.1:{port}", "POST", "/user/register", _json(body)
        )
    finally:
        process.terminate()
        process.wait(timeout=15)

    # Refused before any database work: this database was never even migrated.
    assert (status, answer) == (
        411,
        {
            "detail": "This server cannot read a chunked body here; send Content-Length.",
            "code": "length_required",
        },
    )
    assert headers["Connection"] == "close"


def _wait_for_port(port, process):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "runserver exited"
        if live.port_open("127.0.0.1", port):
            return
        time.sleep(0.1)
    raise AssertionError("runserver did not come up")


def _through_middleware(body, terminated=True, **environ):
    """Run ChunkedBodyMiddleware in-process; return (status, what the app saw or the refusal)."""
    seen, started = {}, []

    def app(environ, start_response):
        seen["length"] = environ["CONTENT_LENGTH"]
        seen["body"] = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        start_response("200 OK", [])
        return [b""]

    environ = {
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": terminated,
        **environ,
    }
    answer = b"".join(ChunkedBodyMiddleware(app)(environ, lambda s, h: started.append(s)))
    return started[0], seen or json.loads(answer)


@pytest.mark.parametrize("size", [0, 1, 9, 10])
def test_a_body_up_to_the_limit_reaches_the_app_with_its_length(settings, size):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    status, seen = _through_middleware(b"x" * size)

    assert (status, seen) == ("200 OK", {"length": str(size), "body": b"x" * size})


@pytest.mark.parametrize("size", [11, 12, 1000])
def test_a_body_over_the_limit_never_reaches_the_app(settings, size):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    status, answer = _through_middleware(b"x" * size)

    assert status == "413 Request Entity Too Large"
    assert answer == {"detail": "The request body is too large.", "code": "request_too_large"}


def test_with_no_limit_the_whole_body_is_read(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None

    _status, seen = _through_middleware(b"y" * 5_000_000)

    assert seen["length"] == "5000000"


def test_a_body_with_a_length_is_left_alone(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10

    _status, seen = _through_middleware(b"x" * 3, CONTENT_LENGTH="2")

    assert seen == {"length": "2", "body": b"xx"}


def test_a_server_that_does_not_decode_chunks_gets_411():
    status, answer = _through_middleware(b"{}", terminated=False)

    assert status == "411 Length Required"
    assert answer["code"] == "length_required"
