"""Forgotten passwords: ask for a reset link, then follow it to set a new password.

The link opens an HTML page whose form posts back to the same URL; API
clients post JSON there instead. Both go through one serializer and one
service: only the renderer differs, chosen by what the request sends.
"""

from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import renderers
from rest_framework.authentication import CSRFCheck
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts import services, tokens
from accounts.openapi import error_response
from accounts.parsers import JSONParser
from accounts.serializers import (
    MessageSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    ResetRequestedSerializer,
)
from accounts.throttles import PasswordResetEmailThrottle
from accounts.views.public import PublicAPIView

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
RESET_REQUESTED = _("If an account with that email exists, a password reset link has been sent.")


class PasswordResetRequestView(PublicAPIView):
    """Email a reset link; the answer is the same whether the account exists or not."""

    throttle_classes = [PasswordResetEmailThrottle, ScopedRateThrottle]
    throttle_scope = "password_reset"

    @extend_schema(
        request=PasswordResetRequestSerializer,
        responses={
            200: OpenApiResponse(
                ResetRequestedSerializer,
                description="Always the same answer, whether an account has this email or not.",
                examples=[OpenApiExample("Requested", value={"message": str(RESET_REQUESTED)})],
            )
        },
    )
    def post(self, request):
        serializer = PasswordResetRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.password_reset_request(email=serializer.validated_data["email"])
        return Response({"message": RESET_REQUESTED})


class PasswordResetPageRenderer(renderers.BaseRenderer):
    """Render the reset page's state from the same data the JSON API answers with."""

    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        response, request = renderer_context["response"], renderer_context["request"]
        data = data if isinstance(data, dict) else {}
        if "detail" in data:  # CSRF failure, throttling, a wrong method or body
            template, context = "error", {"detail": data["detail"]}
        elif "token" in data:
            template, context = "invalid", {"token_errors": data["token"]}
        elif "msg" in data:
            template, context = "done", {"message": data["msg"]}
        else:  # the form, with the validators' messages after a failed post
            template, context = "form", {"errors": data if response.exception else {}}
        return render_to_string(
            f"accounts/password_reset_{template}.html", context, request=request._request
        )


def _is_form_post(request):
    media_type = request.content_type.split(";", 1)[0].strip().lower()
    return request.method == "POST" and media_type == FORM_MEDIA_TYPE


def _html(description):
    return OpenApiResponse(OpenApiTypes.STR, description=description)


RESET_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Field errors; `token` for a bad, used or expired link.",
    "properties": {
        name: {"type": "array", "items": {"type": "string"}}
        for name in ("token", "new_password", "new_password_confirm")
    },
}
UNAVAILABLE_PAGE = _html("The database is unreachable: an HTML page saying so.")


# Renderers are picked by what the request sends; there is no ?format= switch.
@extend_schema(parameters=[OpenApiParameter("format", exclude=True)])
class PasswordResetConfirmView(PublicAPIView):
    """The reset link: an HTML form for browsers, JSON in and out for API clients.

    DRF views skip Django's CSRF middleware, which suits JSON clients (they
    hold no cookie to ride on); the HTML form does rely on the browser's
    cookies, so its posts are checked here as the middleware would.
    """

    parser_classes = [JSONParser, FormParser]
    renderer_classes = [renderers.JSONRenderer, PasswordResetPageRenderer]
    throttle_scope = "password_reset_confirm"

    def get_throttles(self):
        # Only a post runs the password validators and a hash; opening the
        # page costs one token check, as cheap as any other request.
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def perform_content_negotiation(self, request, force=False):
        # Browsers (the page, its form) get HTML; JSON in means JSON out.
        html = request.method in ("GET", "HEAD") or _is_form_post(request)
        renderer = self.renderer_classes[1 if html else 0]()
        return renderer, renderer.media_type

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if _is_form_post(request):
            check = CSRFCheck(lambda _request: None)
            check.process_request(request)
            reason = check.process_view(request, None, (), {})
            if reason:
                raise PermissionDenied(_("CSRF verification failed: %s") % reason)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The URL holds a live token: keep it out of caches and of Referer
        # headers to other sites. Not "no-referrer": browsers would then send
        # `Origin: null` with the form, which fails Django's CSRF origin check.
        add_never_cache_headers(response)
        response["Referrer-Policy"] = "same-origin"
        return response

    @extend_schema(
        request=None,
        responses={
            (200, "text/html"): _html("The form to choose a new password."),
            (400, "text/html"): _html("A page saying the link is invalid, used or expired."),
            (503, "text/html"): UNAVAILABLE_PAGE,
        },
        description="The page the emailed link opens: a form to choose a new password, "
        "posting back to this URL as `application/x-www-form-urlencoded`.",
    )
    def get(self, request, token):
        services.password_reset_user(token=token)
        return Response({})

    @extend_schema(
        # JSON only: the form encoding is the page's own, not the API's, and
        # a body documented in two media types makes generated clients send
        # the form (openapi-python-client's modules for it do not even import).
        request={"application/json": PasswordResetConfirmSerializer},
        responses={
            (200, "application/json"): OpenApiResponse(
                MessageSerializer,
                description="The password is set; JSON for JSON, a page for the form.",
                examples=[OpenApiExample("Reset", value={"msg": "Password has been reset."})],
            ),
            (200, "text/html"): _html("A page saying the password has been reset."),
            (400, "application/json"): OpenApiResponse(
                RESET_ERRORS_SCHEMA,
                description="A bad, used or expired token (`token`), or a new password "
                "the validators refuse (`new_password`); the token is not spent.",
                examples=[
                    OpenApiExample(
                        "Invalid link", value={"token": [str(tokens.INVALID_TOKEN_MESSAGE)]}
                    ),
                    OpenApiExample(
                        "Weak password", value={"new_password": ["This password is too common."]}
                    ),
                ],
            ),
            (400, "text/html"): _html(
                "The form with the validators' messages, or the invalid link page."
            ),
            (403, "text/html"): _html("A form post without a valid CSRF token."),
            (429, "application/json"): error_response(429),
            (429, "text/html"): _html("A page saying to wait before trying again."),
            (503, "application/json"): error_response(503),
            (503, "text/html"): UNAVAILABLE_PAGE,
        },
        description="Set a new password with the token from the emailed link. Every access "
        "and refresh token issued before stops working. JSON in, JSON out. The page's own "
        "form (see GET) also posts here, as `application/x-www-form-urlencoded` with its "
        "CSRF token, and gets the HTML answers listed below.",
    )
    def post(self, request, token):
        serializer = PasswordResetConfirmSerializer(data=request.data, context={"token": token})
        serializer.is_valid(raise_exception=True)
        services.password_reset_complete(
            token=token, password=serializer.validated_data["new_password"]
        )
        return Response({"msg": _("Password has been reset.")})
