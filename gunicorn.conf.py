"""Gunicorn settings for production: `gunicorn -c gunicorn.conf.py project.wsgi`.

Every value can be overridden by the environment variable named beside it.
Request logging is the application's: project.middleware.RequestLogMiddleware
writes one JSON line per request (with request id, user id and a redacted
path), so gunicorn's own access log is off, and its error log uses the same
JSON formatter.
"""

import logging
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")

# Each worker handles one request at a time (one thread), with one
# persistent database connection. Requests are short and CPU-bound (JSON,
# password hashing), so 2 * cores + 1 keeps every core busy while some wait
# on PostgreSQL.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# gthread's connection handling (HTTP keep-alive, GUNICORN_KEEPALIVE seconds)
# with each request served on the worker's own loop thread: see
# project/serving.py. The sync worker closes each connection after
# one response, so every request of a client or proxy would pay a new TCP
# connection (accept, close) in the worker's CPU. bench/run.py measures
# `sync` too; any gunicorn worker class can be named here.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "project.serving.InlineThreadWorker")

# A request running longer than this is killed (and its worker restarted).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "1000"))

# Heartbeat files on tmpfs, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# Behind a load balancer: trust X-Forwarded-* only from the listed addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Python warnings become log records, so they are JSON lines too; workers
# inherit this from the master.
logging.captureWarnings(True)
accesslog = None
logger_class = "project.serving.Logger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Replaces gunicorn's defaults wholesale (it merges only the top-level keys).
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "project.logs.JsonFormatter"}},
    "filters": {"redact": {"()": "project.logs.RedactSecrets"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"]},
    },
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["console"], "propagate": False},
        # The application logs each request itself; gunicorn's line would
        # repeat it, with the query string and unredacted reset tokens.
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
}

# gunicorn's control socket defaults to one path per user, which several
# instances on one host would fight over; give each a path to turn it on.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "")
control_socket_disable = not control_socket
