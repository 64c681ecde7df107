"""Email verification: follow an emailed link to verify an address (or confirm a change),
or ask for a new link.

The link opens an HTML page (accounts.views.pages) with a button that posts
back to the same URL; API clients, and frontends the EMAIL_VERIFY_URL
template points to, post there directly.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts import services, tokens
from accounts.clients import client_from_request
from accounts.serializers import (
    LinkTokenSerializer,
    MessageSerializer,
    ResendVerificationSerializer,
    VerificationRequestedSerializer,
)
from accounts.throttles import VerificationEmailThrottle
from accounts.views.pages import (
    POST_ERRORS,
    UNAVAILABLE_PAGE,
    LinkPageView,
    html,
)
from accounts.views.public import PublicAPIView

VERIFIED = _("Email verified.")
VERIFICATION_REQUESTED = _(
    "If an account with that email needs verification, a new link has been sent."
)
VERIFY_ERRORS_SCHEMA = {
    "type": "object",
    "description": "`token` for a bad, used or expired link; `email` when another account "
    "took the new address since the change was asked for.",
    "properties": {
        name: {"type": "array", "items": {"type": "string"}} for name in ("token", "email")
    },
}


class VerifyEmailView(LinkPageView):
    """The verification link: a page with a button for browsers, a plain POST for API clients."""

    template_prefix = "accounts/verify_email"
    page_title = _("Confirm your email address")
    throttle_scope = "email_verify"

    @extend_schema(
        request=None,
        responses={
            (200, "text/html"): html("A page with a button that confirms the address."),
            (400, "text/html"): html("A page saying the link is invalid, used or expired."),
            (503, "text/html"): UNAVAILABLE_PAGE,
        },
        description="The page the emailed link opens. Opening it changes nothing (mail "
        "scanners open links): its button posts back to this URL.",
    )
    def get(self, request, token):
        services.email_verification_user(token=token)
        return Response({})

    @extend_schema(
        request={"application/json": LinkTokenSerializer},
        responses={
            (200, "application/json"): OpenApiResponse(
                MessageSerializer,
                description="The address is verified (`email_verified` is true), or the "
                "pending change applied: `email` is the new address, verified, and "
                "`pending_email` null. JSON for JSON, a page for the form.",
                examples=[OpenApiExample("Verified", value={"msg": str(VERIFIED)})],
            ),
            (200, "text/html"): html("A page saying the address is confirmed."),
            (400, "application/json"): OpenApiResponse(
                VERIFY_ERRORS_SCHEMA,
                description="A bad, used or expired link, or a new address taken meanwhile.",
                examples=[
                    OpenApiExample(
                        "Invalid link",
                        value={"token": [str(tokens.INVALID_VERIFICATION_MESSAGE)]},
                    ),
                    OpenApiExample(
                        "Address taken",
                        value={"email": ["A user with that email already exists."]},
                    ),
                ],
            ),
            (400, "text/html"): html("The invalid link page, or the form saying why."),
            **POST_ERRORS,
        },
        description="Verify the address the link was sent to. No body is needed: post JSON "
        "(or nothing; a `token` sent must equal the link's) and get JSON; the page's form "
        "posts here as `application/x-www-form-urlencoded` and gets HTML back. The link "
        "works once.",
    )
    def post(self, request, token):
        LinkTokenSerializer(data=request.data, context={"token": token}).is_valid(
            raise_exception=True
        )
        services.email_verify(token=token, client=client_from_request(request))
        return Response({"msg": VERIFIED})


class ResendVerificationView(PublicAPIView):
    """Send a new verification link; the answer is the same for every address."""

    throttle_classes = [VerificationEmailThrottle, ScopedRateThrottle]
    throttle_scope = "resend_verification"

    @extend_schema(
        request=ResendVerificationSerializer,
        responses={
            200: OpenApiResponse(
                VerificationRequestedSerializer,
                description="Always the same answer, whatever the address.",
                examples=[
                    OpenApiExample("Requested", value={"message": str(VERIFICATION_REQUESTED)})
                ],
            )
        },
        examples=[
            OpenApiExample(
                "Ask for a new link", request_only=True, value={"email": "user1@example.com"}
            )
        ],
    )
    def post(self, request):
        serializer = ResendVerificationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.email_verification_resend(email=serializer.validated_data["email"])
        return Response({"message": VERIFICATION_REQUESTED})
