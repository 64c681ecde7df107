"""Compare the CPU cost of GET /user/profile with the ceiling, in one process.

    DATABASE_URL=postgres://... .venv/bin/python bench/profile_inprocess.py [-n 5000] [--rounds 5]
    ... bench/profile_inprocess.py --profile cprofile|pyinstrument [--path ceiling|admin-list]

Calls the WSGI handler directly (no server, no sockets), so what is left is
the middleware, DRF and our code: the part bench/run.py's ratio depends on.
Requests alternate between /user/profile and /bench/ceiling, each timed with
time.process_time(), and the medians per round are printed: a burst of load
from elsewhere hits both alike. Needs a migrated database (bench.settings,
SECRET_KEY from the environment or .env; DEBUG is forced off, as it records
every query); creates one user and one token pair. File descriptor 2 (the
request log) goes to /dev/null while timing. pyinstrument is not a project
dependency: pip install it to use it. Not a test: figures depend on the machine.
"""

import argparse
import contextlib
import io
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
USERNAME = "inprocess-bench"
PATHS = {"profile": "/user/profile", "ceiling": "/bench/ceiling"}
# Profiled alone (--profile --path admin-list), with the same user as an admin.
PROFILED_ONLY = {"admin-list": "/api/user/?page_size=100"}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=5000, help="requests per endpoint and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", choices=["cprofile", "pyinstrument"])
    parser.add_argument("--path", default="profile", choices=sorted({**PATHS, **PROFILED_ONLY}))
    return parser.parse_args()


def setup(admin=False):
    """Configure Django for the benchmark and return (WSGI app, access token)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DB_CONN_MAX_AGE", "60")
    sys.path.insert(0, str(BASE_DIR))
    from django.core.wsgi import get_wsgi_application

    app = get_wsgi_application()
    from accounts.models import Role, User
    from accounts.tests.factories import token_pair

    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        # No password: the token is issued here, as the login flow would.
        user = User.objects.create_user(username=USERNAME, email=f"{USERNAME}@example.com")
    if admin and user.role != Role.ADMIN:
        User.objects.filter(pk=user.pk).update(role=Role.ADMIN)
    return app, token_pair(user)["access_token"]


def environ_for(path, token):
    """Return a WSGI environ for an authenticated JSON GET of `path`."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path.split("?", 1)[0],
        "SCRIPT_NAME": "",
        "QUERY_STRING": path.partition("?")[2],
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": "*/*",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


@contextlib.contextmanager
def quiet_stderr():
    """Send file descriptor 2, where the request log goes, to /dev/null."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def call(app, path, token):
    """Serve one request; return its status line and body."""
    status = []
    body = b"".join(app(environ_for(path, token), lambda s, h, exc_info=None: status.append(s)))
    return status[0], body


def timed_round(app, token, n):
    """Alternate n requests per endpoint; return each endpoint's median CPU in ms."""
    samples = {name: [] for name in PATHS}
    clock = time.process_time
    for _ in range(n):
        for name, path in PATHS.items():
            started = clock()
            call(app, path, token)
            samples[name].append((clock() - started) * 1000)
    return {name: statistics.median(values) for name, values in samples.items()}


def main():
    args = parse_args()
    app, token = setup(admin=args.path in PROFILED_ONLY)
    for name, path in PATHS.items():
        status, body = call(app, path, token)
        print(f"{name}: {status} {body.decode()}")
        if not status.startswith("200"):
            raise SystemExit(f"{path} answered {status}")
    with quiet_stderr():
        for _ in range(200):  # warm up: imports, caches, the connection
            for path in PATHS.values():
                call(app, path, token)
    if args.profile:
        run_profiler(args, app, token)
    else:
        measure(args, app, token)


def measure(args, app, token):
    """Print each round's medians, then the medians over the rounds."""
    results = []
    for round_ in range(args.rounds):
        with quiet_stderr():
            medians = timed_round(app, token, args.n)
        results.append(medians)
        print(
            f"round {round_ + 1}: profile {medians['profile']:.3f} ms, "
            f"ceiling {medians['ceiling']:.3f} ms, "
            f"ceiling/profile {medians['ceiling'] / medians['profile']:.3f}",
            flush=True,
        )
    profile = statistics.median(r["profile"] for r in results)
    ceiling = statistics.median(r["ceiling"] for r in results)
    ratio = statistics.median(r["ceiling"] / r["profile"] for r in results)
    print(
        f"median: profile {profile:.3f} ms, ceiling {ceiling:.3f} ms, ceiling/profile {ratio:.3f}"
    )


def run_profiler(args, app, token):
    """Profile n requests of one endpoint and print where the time goes."""
    path = {**PATHS, **PROFILED_ONLY}[args.path]
    with quiet_stderr():
        if args.profile == "pyinstrument":
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0001)
            profiler.start()
            for _ in range(args.n):
                call(app, path, token)
            profiler.stop()
        else:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.n):
                call(app, path, token)
            profiler.disable()
    if args.profile == "pyinstrument":
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    else:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
