"""One JSON line per request, a request id on every answer, and no secrets in any line."""

import io
import json
import logging
import re
import subprocess
import sys
import time

import pytest

from project import logs
from project.logs import JsonFormatter, RedactSecrets

PASSWORD = "Log-Secret-Passw0rd"
WRONG_PASSWORD = "Wrong-Secret-Passw0rd"
EMAIL = "Alice.Secret@Example.com"


@pytest.fixture
def log_lines():
    """Capture what the configured JSON console handler writes, as a list of lines."""
    buffer = io.StringIO()
    loggers = [logging.getLogger(name) for name in ("", "django", "django.server")]
    handlers = {h for lg in loggers for h in lg.handlers if isinstance(h.formatter, JsonFormatter)}
    assert handlers, "LOGGING must give the console handler the JSON formatter"
    streams = {handler: handler.stream for handler in handlers}
    for handler in handlers:
        handler.setStream(buffer)
    yield lambda: buffer.getvalue().splitlines()
    for handler, stream in streams.items():
        handler.setStream(stream)


def _requests(lines):
    entries = [json.loads(line) for line in lines]
    return [e for e in entries if e["logger"] == "project.request" and e["message"] == "request"]


def test_account_flows_log_one_json_line_per_request_and_no_secret(
    api_client, db, log_lines, mailoutbox, run_mail_worker
):
    register = {"username": "alice", "email": EMAIL, "password": PASSWORD}
    assert api_client.post("/user/register", register).status_code == 201
    assert api_client.post("/user/register", register).status_code == 400
    wrong = {"username": "alice", "password": WRONG_PASSWORD}
    assert api_client.post("/user/login", wrong).status_code == 401
    tokens = api_client.post("/user/login", {"username": "alice", "password": PASSWORD}).json()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {tokens['access_token']}"}
    profile = api_client.get(f"/user/profile?email={EMAIL}", **bearer)
    assert profile.status_code == 200
    reset = api_client.post("/user/request-password-reset", {"email": EMAIL})
    assert reset.status_code == 200
    run_mail_worker()  # the registration's verification email, then the reset email
    verification, message = mailoutbox
    verify_token = re.search(r"/user/verify-email/(\S+)", verification.body).group(1)
    link = re.search(r"https?://\S+/user/reset-password/(\S+)", message.body)
    token = link.group(1)
    assert (
        api_client.get(f"/user/reset-password/{token}", HTTP_ACCEPT="text/html").status_code == 200
    )
    assert api_client.get(f"/user/reset-password/{token}x").status_code == 400
    refreshed = api_client.post("/user/token/refresh", {"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    logout = {"refresh_token": refreshed.json()["refresh_token"]}
    assert api_client.post("/user/logout", logout).status_code == 200
    assert api_client.get(f"/user/{EMAIL}").status_code == 404

    lines = log_lines()
    secrets = [
        PASSWORD,
        WRONG_PASSWORD,
        EMAIL.lower(),
        token,
        link.group(0),
        verify_token,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed.json()["access_token"],
        refreshed.json()["refresh_token"],
    ]
    for line in lines:
        assert isinstance(json.loads(line), dict)
        assert not [s for s in secrets if s.lower() in line.lower()], line
    assert [(e["method"], e["path"], e["status"]) for e in _requests(lines)] == [
        ("POST", "/user/register", 201),
        ("POST", "/user/register", 400),
        ("POST", "/user/login", 401),
        ("POST", "/user/login", 200),
        ("GET", "/user/profile", 200),
        ("POST", "/user/request-password-reset", 200),
        ("GET", "/user/reset-password/<redacted>", 200),
        ("GET", "/user/reset-password/<redacted>", 400),
        ("POST", "/user/token/refresh", 200),
        ("POST", "/user/logout", 200),
        ("GET", "/user/<email>", 404),
    ]


def test_request_line_carries_duration_user_and_request_id(user_client, user, log_lines):
    response = user_client.get("/user/profile", HTTP_X_REQUEST_ID="trace-42")

    [entry] = _requests(log_lines())
    assert response.headers["X-Request-ID"] == "trace-42"
    assert entry["request_id"] == "trace-42"
    assert entry["user_id"] == user.pk
    assert entry["level"] == "INFO"
    assert isinstance(entry["duration_ms"], float)


def test_request_id_is_generated_when_missing(api_client, db, log_lines):
    first = api_client.get("/healthz")
    second = api_client.get("/healthz")

    ids = [first.headers["X-Request-ID"], second.headers["X-Request-ID"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert ids[0] != ids[1]
    assert [e["request_id"] for e in _requests(log_lines())] == ids


@pytest.mark.parametrize("incoming", ["has spaces", "x" * 129, "a@b.example", "<script>"])
def test_unusable_request_id_is_replaced(api_client, db, incoming):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID=incoming)

    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_anonymous_request_logs_no_user_and_no_session_lookup(
    api_client, db, log_lines, django_assert_num_queries
):
    api_client.cookies["sessionid"] = "a" * 32
    with django_assert_num_queries(0):
        api_client.get("/healthz")

    assert _requests(log_lines())[0]["user_id"] is None


def test_django_4xx_warnings_are_not_repeated(api_client, db, log_lines):
    api_client.get("/no/such/page")

    assert [json.loads(line)["logger"] for line in log_lines()] == ["project.request"]


def _record(message, *args, exc_info=None):
    return logging.LogRecord("test", logging.ERROR, __file__, 1, message, args, exc_info)


def _line(record):
    """The line the configured handler writes: filtered, then formatted."""
    assert RedactSecrets().filter(record)
    return JsonFormatter().format(record)


@pytest.mark.parametrize(
    "message",
    [
        "Key (email)=(bob@example.com) already exists",
        "GET /user/reset-password/MQ.abc-123def/ failed",
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl seen",
        "password=hunter2-Secret",
    ],
)
def test_formatter_scrubs_secrets_from_messages(message):
    line = _line(_record(message))

    assert json.loads(line)["level"] == "ERROR"
    for secret in ["bob@example.com", "MQ.abc-123def", "eyJzdWIiOiIxIn0", "hunter2-Secret"]:
        assert secret not in line


def test_formatter_keeps_a_traceback_on_one_line():
    try:
        raise ValueError("boom for carol@example.com")
    except ValueError:
        line = _line(_record("crashed", exc_info=sys.exc_info()))

    assert "\n" not in line
    entry = json.loads(line)
    assert "ValueError: boom for <email>" in entry["exc_info"]


def test_formatter_scrubs_a_long_line_in_linear_time():
    # A quadratic pattern would take minutes on 200 kB; linear takes milliseconds.
    message = "a" * 200_000 + " owner@example.com"
    started = time.perf_counter()

    line = _line(_record(message))

    assert time.perf_counter() - started < 2
    assert json.loads(line)["message"].endswith(" <email>")


def test_an_integer_beyond_64_bits_is_written_as_text():
    record = _record("done")
    record.big, record.negative = 2**70, -(2**63)

    entry = json.loads(_line(record))

    assert (entry["big"], entry["negative"]) == (str(2**70), -(2**63))


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("PassWord=hunter2", "hunter2"),
        ("TOKEN: abc123", "abc123"),
        ("Secret=xyz789", "xyz789"),
        ("mail Carol@Example.COM", "Carol@Example.COM"),
    ],
)
def test_redaction_finds_secrets_whatever_their_ascii_case(message, secret):
    assert secret not in _line(_record(message))


def test_redaction_masks_extras_and_keeps_numbers():
    record = _record("done")
    record.detail, record.user_id = "sent to dave@example.com", 7

    entry = json.loads(_line(record))

    assert (entry["detail"], entry["user_id"]) == ("sent to <email>", 7)
    assert list(entry)[:4] == ["time", "level", "logger", "message"]


def test_the_console_handler_redacts_whatever_formats_its_records():
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)
    )

    assert any(isinstance(f, RedactSecrets) for f in handler.filters)


def test_gunicorns_log_config_loads_without_django(tmp_path):
    """gunicorn's master reads gunicorn.conf.py and builds its formatter and filter."""
    script = (
        "import logging.config, runpy, sys\n"
        "config = runpy.run_path('gunicorn.conf.py')['logconfig_dict']\n"
        "logging.config.dictConfig(config)\n"
        "logging.getLogger('gunicorn.error').error('worker for erin@example.com')\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )

    assert done.returncode == 0, done.stderr
    [line] = done.stderr.splitlines()
    assert json.loads(line)["message"] == "worker for <email>"


@pytest.mark.parametrize(
    "text",
    [
        "GET /user/profile 200",
        "PASSWORD=hunter2",
        "Token: abc",
        "x SeCrEt=1",
        "a@b.c",
        "eyJa.b.c",
        "/user/reset-password/MQ.abc/",
        "pa\u017f\u017fword=hunter2",  # a long s is an "s" to the pattern's case rules
        "ünïcode token=abc",
        "",
    ],
)
def test_redaction_with_its_shortcut_masks_what_the_patterns_alone_mask(text):
    expected = text
    for pattern, replacement in logs._REDACTIONS:
        expected = pattern.sub(replacement, expected)

    assert logs.redact(text) == expected
