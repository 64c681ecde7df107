"""One JSON object per log line (python-json-logger), with secrets scrubbed from every field.

Used by Django's LOGGING and by gunicorn's own log (gunicorn.conf.py), so it
must not import Django. The request middleware puts the request id in a
context variable; every line logged while serving that request carries it.
"""

import contextvars
import logging
import re
from datetime import UTC, datetime

from pythonjsonlogger import json as jsonlogger
from pythonjsonlogger.core import RESERVED_ATTRS

request_id_var = contextvars.ContextVar("request_id", default=None)

# The lines carry no thread, process or source position: don't look them up
# for every record (the logging HOWTO's "Optimization"; one line per request).
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False
logging._srcfile = None

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


# What each of _REDACTIONS needs to find in a text, in ASCII lowercase: the
# reset path holds "password", an email "@", a JWT "eyj", the last its words.
_NEEDLES = ("@", "eyj", "password", "token", "secret")


def redact(text):
    """Return `text` with reset tokens, emails, JWTs and password values masked.

    Every request logs a line of a few short strings, nearly always with
    nothing to mask: an ASCII text holding none of _NEEDLES cannot match, so
    it is returned without running the patterns. (Only for ASCII: the last
    pattern ignores case the Unicode way, in which U+017F (long s) is an "s".)
    """
    if text.isascii():
        lowered = text.lower()
        if not any(needle in lowered for needle in _NEEDLES):
            return text
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def redact_path(path):
    """Return a request path fit for the log: no query string, no reset token."""
    return redact(path.split("?", 1)[0])


class JsonFormatter(jsonlogger.JsonFormatter):
    """python-json-logger's formatter: time, level, logger, message, request id, extras.

    Secrets are masked before, by the RedactSecrets filter on the handler.
    """

    def __init__(self, **kwargs):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # Django's `request` extra (django.request) would print its path.
            reserved_attrs=[*RESERVED_ATTRS, "request"],
            json_ensure_ascii=False,
            **kwargs,
        )

    def formatTime(self, record, datefmt=None):
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        request_id = request_id_var.get()
        if request_id is not None:
            log_data["request_id"] = request_id


class RedactSecrets(logging.Filter):
    """Mask secrets in all a record carries: message, traceback, stack, extras.

    A filter rather than part of the formatter, so the masking holds whatever
    formats the record. The traceback is formatted here, masked, and kept as
    the record's exc_text, which formatters print in its place.
    """

    def filter(self, record):
        record.msg, record.args = redact(record.getMessage()), None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        for key, value in list(vars(record).items()):
            if _is_extra(key) and not isinstance(value, int | float | bool | None):
                setattr(record, key, redact(str(value)))
        return True


def _is_extra(key):
    """Tell whether a record attribute was passed with `extra=` (and gets printed)."""
    return key not in _STANDARD and key != "request" and not key.startswith("_")


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
        from project.errors import DEPENDENCY_ERRORS

        return not isinstance(record.exc_info[1], DEPENDENCY_ERRORS)
