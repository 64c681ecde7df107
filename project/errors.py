"""One error shape for every response: DRF's, plus a stable `code`.

The DRF exception handler maps Django's own exceptions and a lost database
to DRF's shapes; the views below answer for errors raised outside DRF
(unknown URLs, bad Host headers, CSRF failures, crashes) in the same JSON,
except on the HTML pages, which keep Django's HTML answers.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults
from django.views.csrf import csrf_failure as html_csrf_failure
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

HTML_PREFIXES = ("/admin/", "/api-auth/")


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again shortly."
    default_code = "service_unavailable"


def exception_handler(exc, context):
    """Answer with DRF's shapes, mapping Django validation and a lost database too."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, (OperationalError, InterfaceError)):
        exc = ServiceUnavailable()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        detail = response.data.get("detail")
        if detail is not None and "code" not in response.data:
            response.data["code"] = getattr(detail, "code", "error")
    return response


def _json_or_html(html_view, status_code, detail, code):
    def view(request, *args, **kwargs):
        if request.path.startswith(HTML_PREFIXES):
            return html_view(request, *args, **kwargs)
        return JsonResponse({"detail": detail, "code": code}, status=status_code)

    return view


bad_request = _json_or_html(defaults.bad_request, 400, "Bad request.", "bad_request")
permission_denied = _json_or_html(
    defaults.permission_denied, 403, "Permission denied.", "permission_denied"
)
page_not_found = _json_or_html(defaults.page_not_found, 404, "Not found.", "not_found")
server_error = _json_or_html(defaults.server_error, 500, "A server error occurred.", "server_error")
csrf_failure = _json_or_html(html_csrf_failure, 403, "CSRF verification failed.", "csrf_failed")
