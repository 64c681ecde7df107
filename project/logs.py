"""One JSON object per log line, with secrets scrubbed from every field.

Used by Django's LOGGING and by gunicorn's own log (gunicorn.conf.py), so it
must not import Django. The request middleware puts the request id in a
context variable; every line logged while serving that request carries it.
"""

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

request_id_var = contextvars.ContextVar("request_id", default=None)

# Whatever reaches a log line — a message, an exception text, a field — goes
# through these, so a reset token in a path, an email in a database error or
# a JWT in an echoed header never lands in the log.
_REDACTIONS = [
    (re.compile(r"(/user/reset-password/)[^/\s?\"']+"), r"\1<redacted>"),
    # Bounded and anchored, so a long line without "@" costs linear time.
    (re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*"), "<jwt>"),
    (
        re.compile(r"(?i)(password|token|secret)(['\"]?\s*[:=]\s*['\"]?)[^\s'\",}&]+"),
        r"\1\2<redacted>",
    ),
]

# Attributes every LogRecord has; anything else was passed with `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def redact(text):
    """Return `text` with reset tokens, emails, JWTs and password values masked."""
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def redact_path(path):
    """Return a request path fit for the log: no query string, no reset token."""
    return redact(path.split("?", 1)[0])


class JsonFormatter(logging.Formatter):
    """Format a record as one line of JSON: time, level, logger, message, extras."""

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key != "request" and not key.startswith("_"):
                entry[key] = value if isinstance(value, int | float | bool | None) else str(value)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(
            {k: redact(v) if isinstance(v, str) else v for k, v in entry.items()},
            ensure_ascii=False,
        )


class OnlyExceptions(logging.Filter):
    """Keep only records carrying an exception, other than a lost dependency.

    Django's `django.request` logger repeats every 4xx/5xx response
    ("Not Found: /path") that the request line already records; the ones
    worth keeping are crashes, which carry their traceback. A database or
    cache that is down is not a crash: project.middleware answers 503 and
    logs one warning for it, without a traceback.
    """

    def filter(self, record):
        if record.exc_info is None:
            return False
        # Imported here: the module-level import would load Django into gunicorn's master.
        from project.middleware import DEPENDENCY_ERRORS

        return not isinstance(record.exc_info[1], DEPENDENCY_ERRORS)
