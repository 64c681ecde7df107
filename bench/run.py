"""Benchmark the service as deployed, beside djoser and a stock Django project.

    .venv/bin/python bench/run.py [--sizes 10000,1000000] [--duration 4] [--rounds 6]

Serves three projects with gunicorn on loopback and drives them with wrk:

- this service as README deploys it: production settings (bench/settings.py
  only adds /bench/ceiling and raises the throttle rates), gunicorn.conf.py,
  the JSON request log written to bench/results/gunicorn.log;
- the floor: a stock `startproject` with DRF and one view using SimpleJWT's
  stock authentication (one query), default middleware and logging;
- djoser + SimpleJWT with a global page size of 100, stock settings.

The peers (bench/peers.py) are generated into a temporary directory and run
from bench/.venv, made from bench/requirements.txt: the service's own
Django, DRF, SimpleJWT, gunicorn and psycopg plus djoser. Every project gets
the same number of workers (gunicorn.conf.py's default unless --workers:
this service its threaded workers, the peers gunicorn's stock sync workers)
and its own database with the same users.

Compared variants are up at once and wrk runs alternate between them, round
after round; the table shows medians. Each figure is shown with the workers'
CPU per request (from /proc, the gunicorn workers only) and PostgreSQL's
(the backends serving that database), which the load from elsewhere moves
far less than requests/s. Then, as before: the admin list at each size
(with EXPLAIN plans; 1M against 10k), logins against the hash itself, and
password-reset requests with a mail server answering in 1 ms and in 2 s.
Prints Markdown tables and the targets; writes them to bench/results/.

Needs PostgreSQL (the databases named by --db are dropped and re-created)
and /usr/bin/wrk (Debian's package). Not a test: the numbers depend on the
machine and on whatever else it runs.
"""

import argparse
import asyncio
import contextlib
import dataclasses
import json
import logging
import multiprocessing
import os
import platform
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench import peers  # noqa: E402

RESULTS = BASE_DIR / "bench" / "results"
PASSWORD = "Bench-Passw0rd-2026"  # noqa: S105 - the seeded users' password
ADMIN = "benchadmin"
# Shown, but not held to the 2x target: its page number grows with the
# table, so at each size it is a different query, and OFFSET walks the rows
# it skips. Page numbers are the contract (API.md), so this cost stays.
MIDDLE_PAGE = "GET /api/user/ middle page"
FIRST_NAMES = ["Ada", "Alan", "Grace", "Linus", "Barbara", "Edsger", "Donald", "Margaret"]
LAST_NAMES = ["Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Dijkstra", "Knuth"]
# The second part's lists, measured beside the admin list when they exist:
# name -> path ({id} is the user's id), seeded with LIST_ROWS rows each.
SECOND_PART_LISTS = {
    "GET /user/sessions": "/user/sessions?page_size=100",
    "GET /user/events": "/user/events?page_size=100",
    "GET /api/user/{id}/sessions": "/api/user/{id}/sessions?page_size=100",
    "GET /api/user/{id}/events": "/api/user/{id}/events?page_size=100",
}
LIST_ROWS = 100
# The variant of this service served by gunicorn's sync worker, which closes
# each connection after one answer where gunicorn.conf.py's threaded worker
# keeps wrk's connections open (keep-alive).
SYNC = "GUNICORN_WORKER_CLASS=sync"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes", default="10000,1000000", help="users; the first is the peers' size"
    )
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db", default="accounts_bench")
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds, peers")
    parser.add_argument("--login-rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--workers",
        type=int,
        default=multiprocessing.cpu_count() * 2 + 1,
        help="gunicorn workers of every project (default: gunicorn.conf.py's)",
    )
    parser.add_argument("--smtp-delays", default="0.001,2")
    return parser.parse_args()


def main():
    args = parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    server = urllib.parse.urlsplit(args.server)
    database_url = server._replace(path=f"/{args.db}").geturl()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gunicorn.log").write_text("")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_urlsafe(64),
        DEBUG="false",
        DB_CONN_MAX_AGE="60",
        WEB_CONCURRENCY=str(args.workers),
        # A worker recycled during a run would take its CPU time with it.
        GUNICORN_MAX_REQUESTS="0",
        # As in README's production command: argon2's 100 MiB on huge pages.
        # Read by glibc when a process starts, so it reaches the gunicorn
        # workers and the spawned processes that time the hash, not this one.
        GLIBC_TUNABLES="glibc.malloc.hugetlb=1",
    )
    os.environ.pop("CACHE_URL", None)
    os.environ.pop("REDIS_URL", None)
    recreate_database(args.server, args.db)
    log("bench/.venv: installing bench/requirements.txt if it changed")
    peers.ensure_venv()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command lines
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as directory:
        Bench(args, Path(directory)).run(sizes)


def recreate_database(server_url, name):
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        for suffix in ("_small", "_peers", ""):
            conn.execute(f'DROP DATABASE IF EXISTS "{name}{suffix}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def copy_database(server_url, name, copy):
    """Copy database `name` (nobody may be connected to it) to `copy`."""
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')


def seed_sql(table, start, size, extra):
    """Return the INSERT of users start..size into `table`: the same users in every project.

    extra: more columns, as {column: SQL expression of g, the user's number}.
    """
    columns = "".join(f", {column}" for column in extra)
    values = "".join(f", {value}" for value in extra.values())
    return f"""
        INSERT INTO {table} (password, is_superuser, username, first_name, last_name, email,
            is_active{columns})
        SELECT %s, false, 'user' || g, (%s::text[])[1 + g %% %s], (%s::text[])[1 + g %% %s],
            'm' || substr(md5(g::text), 1, 10) || '.' || g || '@example.com',
            g %% 50 <> 0{values}
        FROM generate_series({int(start)}, {int(size)}) AS g
    """  # noqa: S608 - the benchmark's own table names and bounds


def seed_params(password_hash):
    return [password_hash, FIRST_NAMES, len(FIRST_NAMES), LAST_NAMES, len(LAST_NAMES)]


@dataclasses.dataclass
class Server:
    """A gunicorn master on `url`, serving database `database`."""

    url: str
    pid: int
    database: str


class Bench:
    def __init__(self, args, peer_directory):
        self.args = args
        self.peer_directory = peer_directory
        self.rows = []  # (name, size, rps, p50 ms, p99 ms, note)
        self.plans = {}
        self.sql_ms = {}
        self.cpu_ms = {}
        self.pg_ms = {}
        self.rps = {}
        self.started = time.monotonic()
        self.load_at_start = os.getloadavg()
        self.list_rows = {}

    # --- the run ------------------------------------------------------------------
    def run(self, sizes):
        from django.contrib.auth.hashers import make_password

        self.password_hash = make_password(PASSWORD)
        self.create_admin()
        self.seeded = 0
        self.seed(sizes[0])
        self.prepare_peers(sizes[0])
        self.seed_second_part_lists()
        self.measure_peers(sizes[0])
        # Logged in before the copy: its session is then in both databases.
        self.list_token = self.admin_token()
        copy_database(self.args.server, self.args.db, f"{self.args.db}_small")
        for size in sizes:
            if size != sizes[0]:
                self.seed(size)
            self.measure_admin_list(size, sizes[0])
        self.measure_reset(sizes[-1])
        self.report(sizes)

    # --- data ---------------------------------------------------------------------
    def create_admin(self):
        from accounts.models import Role, User

        User.objects.create_user(
            ADMIN, f"{ADMIN}@example.com", PASSWORD, role=Role.ADMIN, is_superuser=True
        )

    def seed(self, size):
        """Insert users seeded+1..size with one SQL statement, indexes rebuilt afterwards."""
        from django.db import connection

        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'accounts_user' "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
            )
            indexes = cursor.fetchall()
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            extra = {
                "role": "CASE WHEN g %% 1000 = 0 THEN 'ADMIN' ELSE 'USER' END",
                "created_at": "now() - g * interval '1 minute'",
                "updated_at": "now()",
            }
            cursor.execute(
                seed_sql("accounts_user", self.seeded + 1, size, extra),
                seed_params(self.password_hash),
            )
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in indexes:
                cursor.execute(definition)
            cursor.execute("VACUUM ANALYZE accounts_user")
        self.seeded = size
        log(f"seeded {size:,} users in {time.monotonic() - started:.1f}s")

    def prepare_peers(self, size):
        """Generate the peer projects, migrate their database, seed the same users."""
        import psycopg

        url = urllib.parse.urlsplit(self.args.server)
        self.peer_db = f"{self.args.db}_peers"
        with psycopg.connect(self.args.server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.peer_db}"')
        self.peer_env = {
            "DATABASE_URL": url._replace(path=f"/{self.peer_db}").geturl(),
            "SECRET_KEY": secrets.token_urlsafe(64),
        }
        self.peers = peers.build(self.peer_directory)
        for project in self.peers.values():
            peers.manage(project, "migrate", "--noinput", env=self.peer_env)
        floor = self.peers["floor"]
        peer_hash = peers.password_hash(floor, PASSWORD, self.peer_env)  # Django's PBKDF2
        with psycopg.connect(self.peer_env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(
                "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,"
                " email, is_staff, is_active, date_joined)"
                " VALUES (%s, true, %s, '', '', %s, true, true, now())",
                [peer_hash, ADMIN, f"{ADMIN}@example.com"],
            )
            extra = {"is_staff": "false", "date_joined": "now() - g * interval '1 minute'"}
            conn.execute(seed_sql("auth_user", 1, size, extra), seed_params(peer_hash))
            conn.execute("VACUUM ANALYZE auth_user")
        self.peer_tokens = {
            name: peers.access_token(floor, name, self.peer_env) for name in (ADMIN, "user1")
        }
        log(f"peers: {', '.join(self.peers)} in {self.peer_directory}, {size:,} users")

    def login_token(self, username):
        """Log `username` in through the API, in-process; return the access token."""
        from django.test import Client

        response = Client().post(
            "/user/login",
            {"username": username, "password": PASSWORD},
            content_type="application/json",
            HTTP_HOST="127.0.0.1",
        )
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    def admin_token(self):
        return self.login_token(ADMIN)

    def seed_second_part_lists(self):
        """Give user1 LIST_ROWS sessions (logins) and events, for the lists that exist."""
        from django.test import Client

        from accounts.models import User

        self.user_token = self.login_token("user1")
        admin_token = self.admin_token()
        user_id = User.objects.get(username="user1").pk
        client = Client()
        paths = {}
        for name, path in SECOND_PART_LISTS.items():
            path = path.format(id=user_id)
            token = admin_token if path.startswith("/api/") else self.user_token
            answer = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
            if answer.status_code == 200:
                paths[name] = (path, token)
            else:
                log(f"  {name}: {answer.status_code}, not measured")
        if paths:
            from accounts import events
            from accounts.clients import Client
            from accounts.models import EventType
            from accounts.tests.factories import token_pair

            # What a login does once the password is checked: a session, and
            # its login event (the hash of 99 logins would take minutes).
            user = User.objects.get(pk=user_id)
            seen_from = Client(ip_address="127.0.0.1", user_agent="bench")
            for _ in range(LIST_ROWS - 1):
                token_pair(user, seen_from)
                events.record(EventType.LOGIN, user=user, client=seen_from)
        for name, (path, token) in paths.items():
            answer = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
            self.list_rows[name] = len(answer.json()["results"])
        self.second_part = paths

    # --- measurements -------------------------------------------------------------
    def measure_peers(self, size):
        """This service beside the floor and djoser: profile, admin list, login, lists."""
        admin, user = self.admin_token(), self.user_token
        floor, djoser = self.peers["floor"], self.peers["djoser_peer"]
        tokens = self.peer_tokens
        login = {"login_users": size, "duration": self.args.duration * 2}
        cores = os.cpu_count()
        with contextlib.ExitStack() as stack:
            ours = stack.enter_context(serve_service())
            ours_cores = stack.enter_context(serve_service(WEB_CONCURRENCY=cores))
            ours_sync = stack.enter_context(serve_service(GUNICORN_WORKER_CLASS="sync"))
            floor_server = stack.enter_context(serve_peer(floor, self))
            djoser_server = stack.enter_context(serve_peer(djoser, self))
            variants = {
                "profile GET: this service": (ours, "/user/profile", {"token": user}),
                "profile GET: floor (stock project)": (
                    floor_server,
                    "/profile",
                    {"token": tokens["user1"]},
                ),
                "profile GET: djoser": (
                    djoser_server,
                    "/auth/users/me/",
                    {"token": tokens["user1"]},
                ),
                "admin list, 100 a page: this service": (
                    ours,
                    "/api/user/?page_size=100",
                    {"token": admin},
                ),
                f"profile GET: this service, {SYNC}": (
                    ours_sync,
                    "/user/profile",
                    {"token": user},
                ),
                f"admin list, 100 a page: this service, {SYNC}": (
                    ours_sync,
                    "/api/user/?page_size=100",
                    {"token": admin},
                ),
                "admin list, 100 a page: djoser": (
                    djoser_server,
                    "/auth/users/",
                    {"token": tokens[ADMIN]},
                ),
            }
            for name, (path, token) in self.second_part.items():
                variants[f"{name} ({self.list_rows[name]} rows): this service"] = (
                    ours,
                    path,
                    {"token": token},
                )
            self.interleave(size, variants, self.args.rounds)
            self.verify_seconds, self.verify_cpu_seconds, self.verifies_per_second = hash_figures(
                self.password_hash, cores
            )
            self.interleave(
                size,
                {
                    "login: this service": (ours, "/user/login", login),
                    f"login: this service, WEB_CONCURRENCY={cores}": (
                        ours_cores,
                        "/user/login",
                        login,
                    ),
                    "login: djoser": (djoser_server, "/auth/jwt/create/", login),
                },
                self.args.login_rounds,
            )

    def admin_queries(self, size):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT substr(md5('500'), 1, 8)")
            term = cursor.fetchone()[0]
        return {
            "GET /api/user/ first page": "/api/user/",
            "GET /api/user/ 100 a page": "/api/user/?page_size=100",
            "GET /api/user/ deep page (50)": "/api/user/?page=50",
            MIDDLE_PAGE: f"/api/user/?page={max(size // 40, 1)}",
            f"GET /api/user/?search= ({term})": f"/api/user/?search={term}",
            "GET /api/user/?role=ADMIN": "/api/user/?role=ADMIN",
        }

    def measure_admin_list(self, size, small):
        """Measure the admin list at `size` users, each query right beside the same
        query on a copy of the database as it was at `small` users, so that both
        figures of each ratio see the same load from elsewhere on the machine."""
        token = self.list_token
        small_url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
        small_url = small_url._replace(path=f"/{self.args.db}_small").geturl()
        with serve_service() as server, serve_service(DATABASE_URL=small_url) as server_small:
            small_paths = self.admin_queries(small)
            for name, path in self.admin_queries(size).items():
                self.plans[(name, size)], self.sql_ms[(name, size)] = explain(path, token)
                if size == small:
                    self.measure(name, server, path, size, token=token)
                    continue
                # Alternated, as the side-by-side rounds are: one run's burst of load
                # from elsewhere moved a single run's CPU ratio past its 1.2 bound.
                # The middle page takes seconds a request at 1M users: one round.
                rounds = 1 if name == MIDDLE_PAGE else max(self.args.rounds // 2, 1)
                beside = f"{name} (beside {size:,})"
                variants = {
                    name: (server, path, {"token": token}),
                    beside: (server_small, small_paths[name], {"token": token}),
                }
                self.interleave(size, variants, rounds, sizes={beside: small})

    def measure_reset(self, size):
        """Compare reset requests with a fast and a slow mail server (aiosmtpd)."""
        from aiosmtpd.controller import Controller

        body = json.dumps({"email": "m" + md5_prefix(1) + ".1@example.com"})
        options = {"method": "POST", "body": body}
        with contextlib.ExitStack() as stack:
            servers, variants = [], {}
            for delay in [float(d) for d in self.args.smtp_delays.split(",")]:
                handler = SlowMailServer(delay)
                controller = Controller(handler, hostname="127.0.0.1", port=free_port())
                controller.start()
                stack.callback(controller.stop)
                servers.append(handler)
                server = stack.enter_context(
                    serve_service(EMAIL_URL=f"smtp://127.0.0.1:{controller.port}")
                )
                variants[f"POST /user/request-password-reset (SMTP {delay * 1000:g} ms)"] = (
                    server,
                    "/user/request-password-reset",
                    options,
                )
            self.interleave(size, variants, 3)
        for handler in servers:
            log(f"  mail server ({handler.delay} s) accepted {handler.accepted} messages")

    def measure(self, name, server, path, size, **options):
        self.record(name, size, [wrk(server, path, self.args, **options)])

    def record(self, name, size, results):
        rps = statistics.median(r["requests"] / (r["duration_us"] / 1e6) for r in results)
        p50 = statistics.median(r["p50_us"] for r in results) / 1000
        p99 = statistics.median(r["p99_us"] for r in results) / 1000
        errors = sum(r["non_2xx"] + r["socket_errors"] for r in results)
        cpu = statistics.median(r["cpu_ms"] for r in results)
        pg = statistics.median(r["pg_ms"] for r in results)
        self.cpu_ms[(name, size)], self.pg_ms[(name, size)] = cpu, pg
        self.rps[(name, size)] = rps
        note = f"workers' CPU {cpu:.2f} ms/req, PostgreSQL's {pg:.2f}"
        note += f", {errors} errors" if errors else ""
        if len(results) > 1:
            note += f"; median of {len(results)} interleaved runs"
        if (name, size) in self.sql_ms:
            note += f"; SQL {self.sql_ms[(name, size)]:.2f} ms"
        self.rows.append((name, size, rps, p50, p99, note))
        log(f"{name:<55} {size:>9,} {rps:>8.1f} req/s  p50 {p50:7.2f} ms  p99 {p99:8.2f} ms {note}")

    def interleave(self, size, variants, rounds, sizes=None):
        """Alternate wrk runs between variants served at once; record the medians.

        variants: name -> (Server, path, wrk options). A burst of load from
        elsewhere on a shared machine then hits every variant alike. sizes:
        name -> users, for a variant served at another size than `size`.
        """
        results = {name: [] for name in variants}
        for server, path, options in variants.values():  # warm-up, not recorded
            wrk(server, path, self.args, **{**options, "duration": 2})
        for _ in range(rounds):
            for name, (server, path, options) in variants.items():
                results[name].append(wrk(server, path, self.args, **options))
        for name, runs in results.items():
            self.record(name, (sizes or {}).get(name, size), runs)

    # --- report -------------------------------------------------------------------
    def report(self, sizes):
        lines = machine_lines()
        lines += [
            "",
            f"wrk: {self.args.threads} threads, {self.args.connections} connections, "
            f"{self.args.duration} s per run ({self.args.duration * 2} s for logins); "
            f"{self.args.workers} workers for every project; this service with "
            "gunicorn.conf.py (project.serving's threaded worker, one thread each), "
            "DB_CONN_MAX_AGE=60; "
            "the peers with stock gunicorn settings (sync workers) and CONN_MAX_AGE=60.",
            "",
            *self.peer_lines(sizes[0]),
            "",
            "| endpoint | users | req/s | p50 ms | p99 ms | note |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for name, size, rps, p50, p99, note in self.rows:
            lines.append(f"| {name} | {size:,} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {note} |")
        lines += ["", *self.ratio_lines(sizes), ""]
        lines.append(
            f"Whole run: {(time.monotonic() - self.started) / 60:.1f} min; load average "
            f"(1, 5, 15 min) at start {_loads(self.load_at_start)}, at end {_loads()} "
            f"on {os.cpu_count()} CPUs."
        )
        text = "\n".join(lines)
        print("\n" + text)
        plans = "\n".join(
            f"### {name} — {size:,} users\n```\n{plan}\n```"
            for (name, size), plan in self.plans.items()
        )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"{stamp}.md"
        out.write_text(text + "\n\n## EXPLAIN plans\n\n" + plans + "\n")
        log(f"\nwritten to {out}, with the EXPLAIN plans")

    def peer_lines(self, size):
        """The side-by-side table: CPU per request and requests/s for each project."""
        columns = ["this service", f"this service, {SYNC}", "djoser", "floor (stock project)"]
        endpoints = ["profile GET", "admin list, 100 a page", "login"]
        lines = [
            f"Side by side, {size:,} users, medians of the interleaved rounds: workers' CPU "
            "per request / PostgreSQL's CPU per request / requests per second.",
            "",
            "| endpoint | " + " | ".join(columns) + " |",
            "|---|" + "---:|" * len(columns),
        ]
        for endpoint in endpoints:
            cells = []
            for column in columns:
                key = (f"{endpoint}: {column}", size)
                if key in self.cpu_ms:
                    cells.append(
                        f"{self.cpu_ms[key]:.2f} ms / {self.pg_ms[key]:.2f} ms / "
                        f"{self.rps[key]:.0f}/s"
                    )
                else:
                    cells.append("—")
            lines.append(f"| {endpoint} | " + " | ".join(cells) + " |")
        return lines

    def ratio_lines(self, sizes):
        size = sizes[0]
        cpu = {name: v for (name, s), v in self.cpu_ms.items() if s == size}
        pg = {name: v for (name, s), v in self.pg_ms.items() if s == size}
        rps = {name: v for (name, s), v in self.rps.items() if s == size}
        ours, floor = "profile GET: this service", "profile GET: floor (stock project)"
        ours_list, djoser_list = (
            "admin list, 100 a page: this service",
            "admin list, 100 a page: djoser",
        )
        out = [
            "Targets (one run):",
            "",
            "| target | figure | met |",
            "|---|---|---|",
            _target(
                "profile GET: workers' CPU per request <= 0.83 x the floor's",
                f"{cpu[ours]:.2f} / {cpu[floor]:.2f} ms = {_ratio(cpu[ours], cpu[floor]):.2f}",
                cpu[ours] <= 0.83 * cpu[floor],
            ),
            _target(
                "profile GET: requests/s >= 1.2 x the floor's",
                f"{rps[ours]:.0f} / {rps[floor]:.0f} = {_ratio(rps[ours], rps[floor]):.2f}",
                rps[ours] >= 1.2 * rps[floor],
            ),
            _target(
                "profile GET: PostgreSQL's CPU per request <= the floor's",
                f"{pg[ours]:.3f} / {pg[floor]:.3f} ms = {_ratio(pg[ours], pg[floor]):.2f}",
                pg[ours] <= pg[floor],
            ),
            _target(
                "admin list, 100 a page: workers' CPU per request <= 0.67 x djoser's",
                f"{cpu[ours_list]:.2f} / {cpu[djoser_list]:.2f} ms = "
                f"{_ratio(cpu[ours_list], cpu[djoser_list]):.2f}",
                cpu[ours_list] <= 0.67 * cpu[djoser_list],
            ),
            _target(
                "admin list, 100 a page: requests/s >= 1.5 x djoser's",
                f"{rps[ours_list]:.0f} / {rps[djoser_list]:.0f} = "
                f"{_ratio(rps[ours_list], rps[djoser_list]):.2f}",
                rps[ours_list] >= 1.5 * rps[djoser_list],
            ),
            _target(
                "login: logins/s > djoser's (argon2 against PBKDF2)",
                f"{rps['login: this service']:.1f} / {rps['login: djoser']:.1f} = "
                f"{_ratio(rps['login: this service'], rps['login: djoser']):.2f}",
                rps["login: this service"] > rps["login: djoser"],
            ),
        ]
        for endpoint, peer in ((ours, floor), (ours_list, djoser_list)):
            variant = f"{endpoint}, {SYNC}"
            out.append(
                _target(
                    f"{variant} (not the default): workers' CPU / requests/s against "
                    f"{peer.split(': ')[1]}",
                    f"{cpu[variant]:.2f} / {cpu[peer]:.2f} ms = "
                    f"{_ratio(cpu[variant], cpu[peer]):.2f}; "
                    f"{rps[variant]:.0f} / {rps[peer]:.0f} = {_ratio(rps[variant], rps[peer]):.2f}",
                    "shown, not a target",
                )
            )
        # A row of the admin list costs its CPU beyond a profile GET's, over 100 rows.
        per_row = (cpu[ours_list] - cpu[ours]) / 100
        for name in self.second_part:
            key = f"{name} ({self.list_rows[name]} rows): this service"
            rows = max(self.list_rows[name], 1)
            mine = (cpu[key] - cpu[ours]) / rows
            out.append(
                _target(
                    f"{name}: CPU per row <= the admin list's (beyond a profile GET)",
                    f"({cpu[key]:.2f} - {cpu[ours]:.2f}) / {rows} = {mine * 1000:.1f} us, "
                    f"admin list {per_row * 1000:.1f} us",
                    mine <= per_row,
                )
            )
        big, small = sizes[-1], sizes[0]
        row = {(name, size): (rps, p50, p99) for name, size, rps, p50, p99, _ in self.rows}
        for name in self.admin_queries(big) if big != small else ():
            p50_small, p50_big = row[(f"{name} (beside {big:,})", small)][1], row[(name, big)][1]
            cpu_small = self.cpu_ms[(f"{name} (beside {big:,})", small)]
            cpu_big = self.cpu_ms[(name, big)]
            # A small table is read whole by choice; what matters is the big one.
            seq = re.search(r"Seq Scan on accounts_user\b", self.plans[(name, big)]) is not None
            met = p50_big <= 2 * p50_small and cpu_big <= 1.2 * cpu_small and not seq
            out.append(
                _target(
                    f"{name}: at {big:,} users, p50 <= 2 x and workers' CPU <= 1.2 x "
                    f"at {small:,} (run beside); no Seq Scan",
                    f"p50 {p50_big:.1f} / {p50_small:.1f} ms = {_ratio(p50_big, p50_small):.2f}, "
                    f"CPU {cpu_big:.2f} / {cpu_small:.2f} ms = {_ratio(cpu_big, cpu_small):.2f} "
                    f"(SQL alone: {self.sql_ms[(name, big)]:.2f} / "
                    f"{self.sql_ms[(name, small)]:.2f} ms); "
                    f"Seq Scan at {big:,}: {'yes' if seq else 'no'}",
                    "not a target (page number grows with size)" if name == MIDDLE_PAGE else met,
                )
            )
        resets = [(n, v) for (n, size), v in row.items() if n.startswith("POST /user/request")]
        if len(resets) == 2:
            (_, fast), (_, slow) = resets
            out.append(
                _target(
                    "request-password-reset p99 the same with a 2 s mail server (<= 1.5x)",
                    f"{slow[2]:.1f} / {fast[2]:.1f} ms = {_ratio(slow[2], fast[2]):.2f}",
                    slow[2] <= 1.5 * fast[2],
                )
            )
        # What the first benchmark held logins to; the speed issue asks only that
        # they stay ahead of the peers (above).
        cores = os.cpu_count()
        out += ["", "Logins against the hash alone (figures, not targets):", ""]
        out += ["| figure | value | at least 0.9 |", "|---|---|---|"]
        out += _login_targets(
            "login", rps["login: this service"], cores, self, cpu["login: this service"]
        )
        name = f"login: this service, WEB_CONCURRENCY={cores}"
        out += _login_targets(f"login, WEB_CONCURRENCY={cores}", rps[name], cores, self, cpu[name])
        return out


def _ratio(figure, against):
    """figure / against; nan when nothing was measured to hold it against."""
    return figure / against if against else float("nan")


def _loads(loads=None):
    return ", ".join(f"{load:.1f}" for load in loads or os.getloadavg())


def _login_targets(name, rps, cores, bench, login_cpu_ms):
    """Compare logins/s with what the cores can hash, two ways.

    As the target states it, cores / one verify (by wall time; with the
    one-lane argon2 of accounts.hashers its CPU time is the same). And
    against what `cores` processes verifying at once really manage, which
    is less: concurrent argon2 hashes share the memory bandwidth.
    """
    by_wall = cores / bench.verify_seconds
    parallel = bench.verifies_per_second
    return [
        _target(
            f"{name} >= 0.9 x (cores / one argon2 verify)",
            f"{rps:.1f} req/s / ({cores} / {bench.verify_seconds * 1000:.0f} ms wall, "
            f"{bench.verify_cpu_seconds * 1000:.0f} ms CPU = {by_wall:.1f}) = "
            f"{rps / by_wall:.2f}; one verify's CPU / workers' CPU per login: "
            f"{bench.verify_cpu_seconds * 1000:.0f} / {login_cpu_ms:.0f} ms = "
            f"{_ratio(bench.verify_cpu_seconds * 1000, login_cpu_ms):.2f}",
            rps >= 0.9 * by_wall,
        ),
        _target(
            f"{name} >= 0.9 x verifies/s of {cores} processes verifying at once",
            f"{rps:.1f} / {parallel:.1f} req/s = {rps / parallel:.2f}",
            rps >= 0.9 * parallel,
        ),
    ]


def _target(name, figure, met):
    verdict = met if isinstance(met, str) else "yes" if met else "**no**"
    return f"| {name} | {figure} | {verdict} |"


# --- helpers ------------------------------------------------------------------------


def log(message):
    print(message, flush=True)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def md5_prefix(number):
    import hashlib

    return hashlib.md5(str(number).encode()).hexdigest()[:10]  # noqa: S324 - seed data


def hash_figures(encoded, cores, seconds=8.0):
    """Time the hash alone: one verify (median wall and CPU seconds), and the
    verifies per second of `cores` processes verifying at once.

    In fresh (spawned) processes, which start with the gunicorn workers'
    environment. The second figure is what the cores can really hash: two
    argon2 hashes at once share the memory bandwidth, so it is less than
    cores / one verify.
    """
    context = multiprocessing.get_context("spawn")
    with context.Pool(cores, initializer=_setup_django) as pool:
        wall, cpu = pool.apply(time_one_verify, (encoded,))
        counts = pool.starmap(verify_for, [(encoded, seconds)] * cores)
    return wall, cpu, sum(counts) / seconds


def _setup_django():
    import django

    django.setup()


def time_one_verify(encoded):
    """Return the median wall and CPU seconds of one password verification."""
    from django.contrib.auth.hashers import check_password

    walls, cpus = [], []
    for _ in range(15):
        wall, cpu = time.perf_counter(), time.process_time()
        assert check_password(PASSWORD, encoded)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def verify_for(encoded, seconds):
    """Verify the password again and again for `seconds`; return how many times."""
    from django.contrib.auth.hashers import check_password

    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        assert check_password(PASSWORD, encoded)
        count += 1
    return count


class SlowMailServer:
    """An aiosmtpd handler that takes `delay` seconds to accept each message."""

    def __init__(self, delay):
        self.delay = delay
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        self.accepted += 1
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def serve_service(**env):
    """Serve this service: gunicorn.conf.py, bench settings, on a free port."""
    port = free_port()
    environment = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    environment.update({key: str(value) for key, value in env.items()})
    database = urllib.parse.urlsplit(environment["DATABASE_URL"]).path.lstrip("/")
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "project.wsgi"]
    with _gunicorn(command, BASE_DIR, environment, port, database) as server:
        yield server


@contextlib.contextmanager
def serve_peer(project, bench):
    """Serve a peer project with gunicorn's defaults and the same number of workers."""
    port = free_port()
    environment = {**os.environ, **bench.peer_env}
    environment["DJANGO_SETTINGS_MODULE"] = f"{project.name}.settings"
    command = [
        str(peers.PYTHON),
        "-m",
        "gunicorn",
        f"--workers={bench.args.workers}",
        f"--bind=127.0.0.1:{port}",
        f"{project.name}.wsgi",
    ]
    with _gunicorn(command, project, environment, port, bench.peer_db) as server:
        yield server


@contextlib.contextmanager
def _gunicorn(command, cwd, environment, port, database):
    with open(RESULTS / "gunicorn.log", "a") as out:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(f"http://127.0.0.1:{port}", process.pid, database)
    try:
        wait_until_up(server.url, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # Workers still sending queued mail: the run is over, stop them.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until_up(url, process):
    """Wait until the server answers HTTP at all (the peers have no /healthz)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited; see {RESULTS / 'gunicorn.log'}")
        try:
            urllib.request.urlopen(url + "/healthz", timeout=2)  # noqa: S310 - loopback
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not come up")


def wrk(server, path, args, token=None, method="GET", body=None, login_users=None, duration=None):
    env = {**os.environ, "BENCH_METHOD": method}
    if token:
        env["BENCH_TOKEN"] = token
    if body:
        env["BENCH_BODY"] = body
    if login_users:
        env.update(BENCH_LOGIN_USERS=str(login_users), BENCH_PASSWORD=PASSWORD)
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration or args.duration}s",
        "--timeout",
        "10s",
        "-s",
        str(BASE_DIR / "bench" / "wrk.lua"),
        server.url + path,
    ]
    workers_before = workers_cpu_seconds(server.pid)
    pg_before = postgres_cpu_seconds(args.server, server.database)
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    workers = _cpu_used(workers_before, workers_cpu_seconds(server.pid))
    pg = _cpu_used(pg_before, postgres_cpu_seconds(args.server, server.database))
    result["cpu_ms"] = workers * 1000 / max(result["requests"], 1)
    result["pg_ms"] = pg * 1000 / max(result["requests"], 1)
    settle(args.server, server.database)
    return result


def settle(server_url, database, timeout=120):
    """Wait until no query runs on `database` (twice in a row, 0.2 s apart; at most `timeout` s).

    When wrk stops, the requests it left behind still run: after the 1M
    middle page (seconds a query), they kept PostgreSQL busy through the next
    run, which then measured their load instead of its own query.
    """
    import psycopg

    deadline, idle = time.monotonic() + timeout, 0
    with psycopg.connect(server_url, autocommit=True) as conn:
        while idle < 2 and time.monotonic() < deadline:
            busy = conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = %s AND state = 'active' AND pid <> pg_backend_pid()",
                [database],
            ).fetchone()[0]
            idle = 0 if busy else idle + 1
            time.sleep(0.2)


def _cpu_used(before, after):
    """CPU seconds used between two {pid: seconds} snapshots (new processes from zero)."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _cpu_seconds(pid):
    """User + system CPU seconds of process `pid` so far, and its parent's pid."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), int(fields[1])


def workers_cpu_seconds(master):
    """Return {pid: CPU seconds so far} of the gunicorn workers of `master`.

    On a shared machine throughput depends on what else runs; the CPU each
    request costs the workers does not, so the report shows both.
    """
    used = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            seconds, parent = _cpu_seconds(stat.parent.name)
            if parent == master:
                used[int(stat.parent.name)] = seconds
    return used


def postgres_cpu_seconds(server_url, database):
    """Return {pid: CPU seconds so far} of the PostgreSQL backends connected to `database`.

    Every project has its own database, so these are the backends serving
    its workers (persistent connections: the same ones for a whole run).
    """
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", [database]
            )
        ]
    used = {}
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            used[pid] = _cpu_seconds(pid)[0]
    return used


def explain(path, token):
    """Return the plans of the admin list's SQL for GET `path`, and its SQL time in ms.

    The request runs in-process to capture its queries; each is then run
    under EXPLAIN ANALYZE three times and the fastest execution time kept.
    The authentication query (token blacklist) is shown but not timed.
    """
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200, (path, response.status_code)
    plans, total_ms = [], 0.0
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            sql = query["sql"]
            reads = sql.lstrip().upper().startswith(("SELECT", "WITH"))  # WITH: a search's ids
            if not reads or "accounts_user" not in sql:
                continue
            times = []
            for _ in range(3):
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                times.append(float(re.search(r"Execution Time: ([\d.]+) ms", plan).group(1)))
            if "token_blacklist" not in sql:
                total_ms += min(times)
            plans.append(f"{sql}\n{plan}")
    return "\n\n".join(plans), total_ms


def machine_lines():
    cpu = "unknown"
    with contextlib.suppress(OSError):
        match = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = match.group(1) if match else cpu
    memory = "unknown"
    with contextlib.suppress(OSError, AttributeError):
        kib = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return [
        f"Machine: nproc={os.cpu_count()}, CPU {cpu}, RAM {memory}; "
        f"{platform.python_implementation()} {platform.python_version()}, {pg}; "
        f"run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, machine shared with other work."
    ]


if __name__ == "__main__":
    main()
