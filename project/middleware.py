"""Request ids, the one JSON log line per request, and 503s for lost dependencies."""

import logging
import re
import sys
import time
import uuid

from django.core.signals import got_request_exception
from django.http import HttpResponse, JsonResponse
from django.utils.functional import SimpleLazyObject, empty

from project.errors import DEPENDENCY_ERRORS, HTML_PREFIXES, ServiceUnavailable
from project.logs import redact_path, request_id_var

logger = logging.getLogger("project.request")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestLogMiddleware:
    """Tag each request with an id, answer 503 when a dependency is down, log one line.

    Must be first in MIDDLEWARE so that its line covers the whole stack and
    its 503 also replaces a 500 caused by a lost database in another
    middleware (which Django turns into a response before it gets here).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # request.headers would build a dict of every header just for this one.
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        context = request_id_var.set(request.request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            if response.status_code == 500 and getattr(request, "_dependency_down", False):
                response = unavailable_response(request)
            response["X-Request-ID"] = request.request_id
            logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": redact_path(request.path),
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": _user_id(request),
                },
            )
            return response
        finally:
            request_id_var.reset(context)

    def process_exception(self, request, exception):
        """Answer 503 for a view (admin, non-DRF) that lost the database or cache."""
        if isinstance(exception, DEPENDENCY_ERRORS):
            _log_unavailable(exception)
            return unavailable_response(request)
        return None


def unavailable_response(request):
    """Return the 503 answer: JSON, or HTML on the HTML-only sites."""
    detail = str(ServiceUnavailable.default_detail)
    if request.path.startswith(HTML_PREFIXES):
        return HttpResponse(f"<h1>Service unavailable</h1><p>{detail}</p>", status=503)
    return JsonResponse({"detail": detail, "code": ServiceUnavailable.default_code}, status=503)


def _user_id(request):
    """Return the authenticated user's id without triggering a session lookup."""
    user = getattr(request, "user", None)
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    return getattr(user, "pk", None)


def _log_unavailable(exception):
    logger.warning("dependency unavailable: %s: %s", type(exception).__name__, exception)


def _flag_dependency_down(sender, request=None, **kwargs):
    """Mark a request whose exception Django is about to turn into a 500."""
    exception = sys.exc_info()[1]
    if request is not None and isinstance(exception, DEPENDENCY_ERRORS):
        _log_unavailable(exception)
        request._dependency_down = True


got_request_exception.connect(_flag_dependency_down, dispatch_uid="project.dependency_down")
