"""One JSON object per log line (python-json-logger), with secrets scrubbed from every field.

Used by Django's LOGGING and by gunicorn's own log (gunicorn.conf.py), so it
must not import Django. The request middleware puts the request id in a
context variable; every line logged while serving that request carries it.
"""

import contextvars
import logging
import re
from datetime import UTC, datetime

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.orjson import OrjsonFormatter

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

# Attributes every LogRecord has; anything else was passed with `extra=` (Django's
# `request` extra is never printed, see JsonFormatter).
_NOT_EXTRA = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request",
}
# Extras printed as they are: JSON numbers (orjson's integers are 64-bit), true, false, null.
_KEPT = (int, float, bool, type(None))
_INT_RANGE = range(-(2**63), 2**64)

# What each of _REDACTIONS needs to find in a text, ignoring ASCII case: the
# reset path holds "password", an email "@", a JWT "eyJ", the last its words.
_NEEDLES = re.compile(r"@|eyj|password|token|secret", re.IGNORECASE | re.ASCII)


def redact(text):
    """Return `text` with reset tokens, emails, JWTs and password values masked.

    Every request logs a line of a few short strings, nearly always with
    nothing to mask: an ASCII text holding none of _NEEDLES cannot match, so
    it is returned without running the patterns. (Only for ASCII: the last
    pattern ignores case the Unicode way, in which U+017F (long s) is an "s".)
    """
    if text.isascii() and not _NEEDLES.search(text):
        return text
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text


def redact_path(path):
    """Return a request path fit for the log: no query string, no reset token."""
    return redact(path.split("?", 1)[0])


class JsonFormatter(OrjsonFormatter):
    """python-json-logger's formatter: time, level, logger, message, request id, extras.

    Its orjson flavour: writing the line with orjson costs a third of what the
    json module's does, and a request's line was a tenth of a profile GET's CPU.
    Secrets are masked before, by the RedactSecrets filter on the handler.
    """

    def __init__(self, **kwargs):
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            # Django's `request` extra (django.request) would print its path.
            reserved_attrs=[*RESERVED_ATTRS, "request"],
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
        attributes = vars(record)
        for key in attributes.keys() - _NOT_EXTRA:
            value = attributes[key]
            if key.startswith("_") or (
                isinstance(value, _KEPT) and (type(value) is not int or value in _INT_RANGE)
            ):
                continue
            attributes[key] = redact(str(value))
        return True


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
