"""Real servers for tests: gunicorn and mail worker subprocesses, a private PostgreSQL cluster.

Each helper starts a real process on a free loopback port and always stops it,
so tests see the service as a load balancer does: over HTTP, in separate
processes, with the production gunicorn config.
"""

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def _pg_bin():
    """Find initdb and pg_ctl: $PG_BIN, else the newest Debian install, else pg_config's."""
    if os.environ.get("PG_BIN"):
        return Path(os.environ["PG_BIN"])
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3])
    )
    if installed:
        return installed[-1].parent
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        return Path(bindir.stdout.strip())
    return Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
SECRET_KEY = secrets.token_urlsafe(64)


def free_port():
    """Return a loopback TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(host, port):
    """Return whether something accepts TCP connections at host:port."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
        return True
    return False


def app_env(**overrides):
    """Return the environment of a production-like app process."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "CACHE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DEBUG="false", SECRET_KEY=SECRET_KEY, LOG_LEVEL="INFO")
    env.update({key: str(value) for key, value in overrides.items()})
    return env


@contextlib.contextmanager
def fresh_database(directory):
    """Yield the URL of an empty database: on the suite's PostgreSQL server, else SQLite.

    On PostgreSQL it is a throwaway database beside the suite's own, dropped
    afterwards, so a server process started on it runs on the same engine
    as the rest of the suite.
    """
    suite_url = os.environ.get("DATABASE_URL", "")
    if not suite_url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{Path(directory) / 'live.sqlite3'}"
        return
    import psycopg

    server = urllib.parse.urlsplit(suite_url)
    name = f"accounts_live_{secrets.token_hex(4)}"
    admin_dsn = server._replace(path="/postgres").geturl()
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server._replace(path=f"/{name}").geturl()
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env, *args):
    """Run manage.py with `env`; fail the test with its output if it fails."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@dataclass
class Response:
    status: int
    headers: dict
    text: str

    def json(self):
        return json.loads(self.text)


def call(method, url, body=None, token=None, headers=None):
    """Make one HTTP request and return its status, headers and text."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return Response(
                answer.status, dict(answer.headers), answer.read().decode(errors="replace")
            )
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers), error.read().decode(errors="replace"))


@dataclass
class Server:
    url: str
    log: Path

    def call(self, method, path, body=None, token=None, headers=None):
        return call(method, self.url + path, body, token, headers)

    def register(self, username, password):
        """Register `username` (email `<username>@example.com`); return the new id."""
        body = {"username": username, "email": f"{username}@example.com", "password": password}
        response = self.call("POST", "/user/register", body)
        assert response.status == 201, response.text
        return response.json()["user"]["id"]

    def log_in(self, username, password):
        """Log in; return the token pair."""
        response = self.call("POST", "/user/login", {"username": username, "password": password})
        assert response.status == 200, response.text
        return response.json()


@contextlib.contextmanager
def gunicorn(env, workers=1, log_dir=None):
    """Serve the project with gunicorn.conf.py on a free port until the block ends."""
    port = free_port()
    log = Path(log_dir or tempfile.mkdtemp()) / f"gunicorn-{port}.log"
    env = {**env, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers)}
    with open(log, "a") as out:  # append: other processes may write here too
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "project.wsgi"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_up(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def mail_worker(env, log, *args):
    """Run `manage.py mail_worker` (polling every 0.1 s), appending its output to `log`."""
    with open(log, "a") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "mail_worker", "--interval", "0.1",
             "--no-startup-delay", "--no-reload", *args],
            cwd=BASE_DIR,
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def _wait_until_up(server, process):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited:\n{server.log.read_text()}")
        with contextlib.suppress(OSError):
            if server.call("GET", "/healthz").status == 200:
                return
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not come up:\n{server.log.read_text()}")


def postgres_available():
    """Return whether a private PostgreSQL cluster can be made here."""
    if not (PG_BIN / "initdb").exists():
        return False
    if os.geteuid() != 0:
        return True
    return shutil.which("runuser") is not None and _user_exists("postgres")


def _user_exists(name):
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class PrivateCluster:
    """A throwaway PostgreSQL cluster in a temporary directory, owned by this test.

    The shared server the rest of the suite uses is never touched: this one
    can be stopped and started at will. As root, it runs as the `postgres`
    OS user (PostgreSQL refuses to run as root).
    """

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="pg-private-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")

    def _run(self, *command):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=120, cwd=self.root
        )
        assert result.returncode == 0, result.stdout + result.stderr

    def init(self):
        self._run(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip

    def start(self):
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self):
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self):
        with contextlib.suppress(AssertionError, subprocess.SubprocessError):
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
