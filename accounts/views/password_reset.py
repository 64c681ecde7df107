"""Forgotten passwords: ask for a reset link, then follow it to set a new password.

The link opens an HTML page (accounts.views.pages) whose form posts back to
the same URL; API clients post JSON there instead.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts import services, tokens
from accounts.clients import client_from_request
from accounts.serializers import (
    MessageSerializer,
    PasswordResetConfirmSerializer,
    PasswordResetRequestSerializer,
    ResetRequestedSerializer,
)
from accounts.throttles import PasswordResetEmailThrottle
from accounts.views.pages import (
    POST_ERRORS,
    UNAVAILABLE_PAGE,
    LinkPageView,
    html,
)
from accounts.views.public import PublicAPIView

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


RESET_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Field errors; `token` for a bad, used or expired link.",
    "properties": {
        name: {"type": "array", "items": {"type": "string"}}
        for name in ("token", "new_password", "new_password_confirm")
    },
}


class PasswordResetConfirmView(LinkPageView):
    """The reset link: an HTML form for browsers, JSON in and out for API clients."""

    template_prefix = "accounts/password_reset"
    page_title = _("Reset your password")
    # Each post runs the password validators, and the slow hash once one passes.
    throttle_scope = "password_reset_confirm"

    @extend_schema(
        request=None,
        responses={
            (200, "text/html"): html("The form to choose a new password."),
            (400, "text/html"): html("A page saying the link is invalid, used or expired."),
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
            (200, "text/html"): html("A page saying the password has been reset."),
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
            (400, "text/html"): html(
                "The form with the validators' messages, or the invalid link page."
            ),
            **POST_ERRORS,
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
            token=token,
            password=serializer.validated_data["new_password"],
            client=client_from_request(request),
        )
        return Response({"msg": _("Password has been reset.")})
