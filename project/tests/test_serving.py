"""gunicorn.conf.py's worker and logger classes, served for real by gunicorn."""

import re
import socket
import time

import pytest
from gunicorn.config import Config

from project.serving import Logger
from project.tests import live

HEALTH = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
# Announces a body it never sends: the server stays stuck reading it.
STALLED = (
    b"POST /user/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    b"Content-Type: application/json\r\nContent-Length: 50\r\n\r\n{"
)


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    database = tmp_path_factory.mktemp("serving") / "db.sqlite3"
    env = live.app_env(DATABASE_URL=f"sqlite:///{database}")
    live.manage(env, "migrate", "--noinput")
    return env


def connect(server):
    host, port = server.url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def read_responses(sock, count):
    """Read `count` whole JSON responses (they carry Content-Length) off `sock`."""
    data = b""
    while data.count(b"HTTP/1.1 ") < count or not data.endswith(b"}"):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def test_one_connection_serves_request_after_request(env, tmp_path):
    with live.gunicorn(env, log_dir=tmp_path) as app, connect(app) as sock:
        answers = []
        for _ in range(3):
            sock.sendall(HEALTH)
            answers.append(read_responses(sock, 1))

    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers)
    assert not any(b"Connection: close" in answer for answer in answers)


def test_pipelined_requests_are_all_answered_in_order(env, tmp_path):
    with live.gunicorn(env, log_dir=tmp_path) as app, connect(app) as sock:
        sock.sendall(HEALTH * 5 + b"GET /no/such/page HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        data = read_responses(sock, 6)

    assert re.findall(rb"HTTP/1\.1 (\d{3}) ", data) == [b"200"] * 5 + [b"404"]


def test_a_request_outlasting_the_timeout_is_killed_and_its_worker_replaced(env, tmp_path):
    with live.gunicorn({**env, "GUNICORN_TIMEOUT": "1"}, log_dir=tmp_path) as app:
        with connect(app) as stuck:
            stuck.sendall(STALLED)
            started = time.monotonic()
            try:
                answer = stuck.recv(1024)
            except ConnectionResetError:
                answer = b""
            killed_after = time.monotonic() - started
        after = app.call("GET", "/healthz")

    # The worker died with the request: the connection closed unanswered.
    assert answer == b""
    assert killed_after < 8
    assert after.status == 200
    assert "WORKER TIMEOUT" in app.log.read_text()


def test_with_more_threads_a_stuck_request_holds_only_its_own_thread(env, tmp_path):
    with (
        live.gunicorn({**env, "GUNICORN_THREADS": "2"}, log_dir=tmp_path) as app,
        connect(app) as stuck,
    ):
        stuck.sendall(STALLED)
        time.sleep(0.2)  # let the worker start reading that body first
        other = app.call("GET", "/healthz")

    assert other.status == 200


def test_the_logger_builds_no_access_log_line():
    cfg = Config()
    cfg.set("logconfig_dict", {"version": 1, "disable_existing_loggers": False})

    # gunicorn's own Logger would read the response's status and headers here.
    assert Logger(cfg).access(None, None, {}, None) is None
