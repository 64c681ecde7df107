"""Bodies sent with `Transfer-Encoding: chunked` are read, within the size limit.

Django reads a request body by its CONTENT_LENGTH; a chunked body has none,
so Django saw it as empty: a chunked `PATCH {"active": false}` answered 200
and changed nothing. Under gunicorn the chunks arrive decoded and the input
is marked as ending where the body ends (`wsgi.input_terminated`, a WSGI
extension), so this wrapper reads the body, up to DATA_UPLOAD_MAX_MEMORY_SIZE,
and hands it to Django with its length. A longer body is 413 before Django
sees any of it: passing on a cut-off body could apply part of a form. A
server that does not decode chunks (Django's runserver) gets a 411: the
body cannot be read safely there, and saying so beats ignoring it. Django
has no hook for this: the length is read when the request object is made.
"""

import io
import json

from django.conf import settings


def _refusal(status, detail, code):
    body = json.dumps({"detail": detail, "code": code}).encode()
    return status, [("Content-Type", "application/json")], body


def _respond(refusal, start_response):
    status, headers, body = refusal
    start_response(status, headers)
    # The rest of the body stays unread, so the connection must not carry
    # another request, and a WSGI application may not send `Connection: close`
    # itself. An iterator has no length a server could announce: runserver
    # then closes the connection; gunicorn skips the unread rest anyway.
    return iter([body])


TOO_LARGE = _refusal(
    "413 Request Entity Too Large", "The request body is too large.", "request_too_large"
)
LENGTH_REQUIRED = _refusal(
    "411 Length Required",
    "This server cannot read a chunked body here; send Content-Length.",
    "length_required",
)


class ChunkedBodyMiddleware:
    """Wrap a WSGI application so that it reads chunked request bodies."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if environ.get("HTTP_TRANSFER_ENCODING") and not environ.get("CONTENT_LENGTH"):
            refusal = self._buffer_body(environ)
            if refusal is not None:
                return _respond(refusal, start_response)
        return self.application(environ, start_response)

    def _buffer_body(self, environ):
        """Put the whole body in the environ with its length, or return a refusal."""
        if not environ.get("wsgi.input_terminated"):
            return LENGTH_REQUIRED
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = environ["wsgi.input"].read(-1 if limit is None else limit + 1)
        if limit is not None and len(body) > limit:
            return TOO_LARGE
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return None
