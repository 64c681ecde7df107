"""One error shape for every response: DRF's, plus a stable `code`.

The DRF exception handler maps Django's own exceptions (an oversized body
included: 413) and a lost database to DRF's shapes; the views and the
middleware below answer for errors that happen outside DRF (unknown URLs,
bad Host headers, oversized bodies, wrong methods, CSRF failures, crashes)
in the same JSON, with DEBUG on or off. The HTML pages (the admin site, the
browsable API's login, the docs, and the password-reset page when a browser
asks for it) keep Django's HTML answers.
"""

from http import HTTPStatus

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.views import defaults
from django.views.csrf import csrf_failure as html_csrf_failure
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from accounts import exceptions as account_errors

# A database or cache that cannot be reached: the request may succeed later,
# so the answer is 503, whichever layer (view, DRF, middleware) hit it.
DEPENDENCY_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)

# Pages that only ever answer in HTML, errors included.
HTML_PREFIXES = ("/admin/", "/api-auth/", "/swagger-ui", "/redoc")
# Pages that answer in HTML to a browser and in JSON to an API client.
BROWSER_PAGE_PREFIXES = ("/user/reset-password/", "/user/verify-email/")


class ServiceUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again shortly."
    default_code = "service_unavailable"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class Conflict(exceptions.APIException):
    """The request is valid but the current state forbids it (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


# The services' refusals, in HTTP terms; each keeps its message and code.
ACCOUNT_ERRORS = {
    account_errors.NotFound: exceptions.NotFound,
    account_errors.NotAllowed: exceptions.PermissionDenied,
    account_errors.Conflict: Conflict,
}


def exception_handler(exc, context):
    """Answer with DRF's shapes, mapping Django's and the services' errors and a lost database."""
    refusal = next((http for kind, http in ACCOUNT_ERRORS.items() if isinstance(exc, kind)), None)
    if refusal is not None:
        exc = refusal(exc.message, code=exc.code)
    elif isinstance(exc, account_errors.Locked):
        # A 429 like a throttle's, with Retry-After, but its own code (account_locked).
        exc = exceptions.Throttled(wait=exc.retry_after, detail=str(exc.message), code=exc.code)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        # DRF reads JSON and form bodies through Django's request.body, which
        # enforces DATA_UPLOAD_MAX_MEMORY_SIZE, but lets the error escape.
        exc = RequestTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        # Too many form fields, and the like: the client's fault, never a 500.
        exc = exceptions.ParseError("The request could not be read.", code="bad_request")
    elif isinstance(exc, (OperationalError, InterfaceError)):
        exc = ServiceUnavailable()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # A ValidationError raised with messages rather than fields (DRF's
        # SearchFilter does so for a NUL character in ?search=) is a bare
        # list; the contract knows only objects.
        response.data = {
            "detail": " ".join(str(message) for message in response.data),
            "code": getattr(response.data[0], "code", "invalid") if response.data else "invalid",
        }
    if response is not None and isinstance(response.data, dict):
        detail = response.data.get("detail")
        if detail is not None and "code" not in response.data:
            response.data["code"] = getattr(detail, "code", "error")
        _as_sentences(response.data)
    return response


def _as_sentences(data):
    """End every `detail` (and SimpleJWT's per-token `messages`) with a period.

    DRF's and this service's messages are sentences; SimpleJWT's ("Token is
    invalid or expired", "User is inactive") are not. One rule here keeps
    every 401 alike, whichever library raised it.
    """
    if isinstance(data.get("detail"), str):
        data["detail"] = _sentence(data["detail"])
    for message in data.get("messages") or []:
        if isinstance(message, dict) and isinstance(message.get("message"), str):
            message["message"] = _sentence(message["message"])


def _sentence(text):
    if not text or text.endswith((".", "!", "?")):
        return text
    return exceptions.ErrorDetail(f"{text}.", code=getattr(text, "code", None))


def wants_html(request):
    """Tell whether an error on this request should be an HTML page."""
    if request.path.startswith(HTML_PREFIXES):
        return True
    return (
        request.path.startswith(BROWSER_PAGE_PREFIXES)
        and request.get_preferred_type(["application/json", "text/html"]) == "text/html"
    )


def error_response(status_code, detail, code, **headers):
    """Return a JSON error in DRF's shape from outside DRF."""
    response = JsonResponse({"detail": str(detail), "code": code}, status=status_code)
    for name, value in headers.items():
        response[name] = value
    return response


def _json_or_html(html_view, status_code, detail, code):
    def view(request, *args, **kwargs):
        if wants_html(request):
            return html_view(request, *args, **kwargs)
        return error_response(status_code, detail, code)

    view.__doc__ = f"Answer {status_code} in JSON, or in HTML on the HTML pages."
    return view


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    """Answer 400 in JSON (413 for an oversized body), or in HTML on the HTML pages."""
    if isinstance(exception, RequestDataTooBig) and not wants_html(request):
        return error_response(413, RequestTooLarge.default_detail, RequestTooLarge.default_code)
    if wants_html(request):
        return defaults.bad_request(request, exception, template_name)
    return error_response(400, "Bad request.", "bad_request")


permission_denied = _json_or_html(
    defaults.permission_denied, 403, "Permission denied.", "permission_denied"
)
page_not_found = _json_or_html(defaults.page_not_found, 404, "Not found.", "not_found")
server_error = _json_or_html(defaults.server_error, 500, "A server error occurred.", "server_error")
csrf_failure = _json_or_html(html_csrf_failure, 403, "CSRF verification failed.", "csrf_failed")


class JSONErrorMiddleware:
    """Give every error answered outside DRF the JSON shape, whatever DEBUG says.

    The handlers above cover DEBUG off; this covers what they never see: a
    405 from a plain Django view (an empty HTML response) and, with DEBUG on,
    Django's technical 404/500 pages, which must not reach API clients.
    Responses from DRF (JSON, or the browsable API's HTML) pass untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or isinstance(response, Response)
            or response.get("Content-Type", "").startswith("application/json")
            or wants_html(request)
        ):
            return response
        detail, code = _describe(request, response.status_code)
        headers = {"Allow": response["Allow"]} if response.has_header("Allow") else {}
        return error_response(response.status_code, detail, code, **headers)


def _describe(request, status_code):
    if status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        return exceptions.MethodNotAllowed(request.method).detail, "method_not_allowed"
    return ERROR_DESCRIPTIONS.get(status_code, (HTTPStatus(status_code).phrase + ".", "error"))


ERROR_DESCRIPTIONS = {
    400: ("Bad request.", "bad_request"),
    403: ("Permission denied.", "permission_denied"),
    404: ("Not found.", "not_found"),
    413: (RequestTooLarge.default_detail, RequestTooLarge.default_code),
    500: ("A server error occurred.", "server_error"),
    503: (ServiceUnavailable.default_detail, ServiceUnavailable.default_code),
}
