"""The project's URLs plus views that fail on purpose, for the error tests."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import HttpResponse
from django.urls import path
from django.views import View
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from accounts import exceptions as account_errors
from project.urls import handler400, handler403, handler404, handler500, urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


class PlainPostView(View):
    """A plain Django view: POST only, CSRF-protected."""

    def post(self, request):
        return HttpResponse(f"{len(request.POST)} fields")


def crash(request):
    raise RuntimeError("boom: secret internals")


def _failing_api_view(exc):
    class FailingView(APIView):
        authentication_classes = []
        permission_classes = [AllowAny]

        def get(self, request):
            raise exc

    return FailingView.as_view()


urlpatterns = [
    path("test/plain", PlainPostView.as_view()),
    path("test/crash", crash),
    path("test/api/crash", _failing_api_view(RuntimeError("boom: secret internals"))),
    path("test/api/database", _failing_api_view(OperationalError("connection refused"))),
    path("test/api/too-big", _failing_api_view(RequestDataTooBig("too big"))),
    path("test/api/denied", _failing_api_view(PermissionDenied())),
    path("test/api/missing", _failing_api_view(account_errors.NotFound("No such thing."))),
    path("test/api/refused", _failing_api_view(account_errors.NotAllowed())),
    path(
        "test/api/conflict",
        _failing_api_view(account_errors.Conflict("It clashes.", code="clash")),
    ),
    path(
        "test/api/invalid",
        _failing_api_view(DjangoValidationError({"email": ["Enter a valid email address."]})),
    ),
    *urlpatterns,
]
