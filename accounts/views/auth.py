from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts import services
from accounts.clients import client_from_request
from accounts.exceptions import Unauthenticated
from accounts.openapi import error_response
from accounts.schema import USER_EXAMPLE
from accounts.serializers import (
    LoginSerializer,
    MessageSerializer,
    RefreshTokenSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from accounts.throttles import LoginFailureThrottle
from accounts.views.public import PublicAPIView

# Examples shown in the API docs, taken from the original service's README.
TOKEN_PAIR_EXAMPLE = OpenApiExample(
    "Token pair",
    response_only=True,
    value={
        "access_token": "<JWT access token>",
        "refresh_token": "<JWT refresh token>",
        "token_type": "Bearer",
        "expires_in": 3600,
    },
)
REFRESH_TOKEN_EXAMPLE = OpenApiExample(
    "Refresh token", request_only=True, value={"refresh_token": "<JWT refresh token>"}
)
INVALID_TOKEN_RESPONSE = error_response(
    401,
    "The refresh token is invalid, expired or logged out, or was already spent "
    "(which ends its session).",
    {"detail": "Token is invalid or expired.", "code": "token_not_valid"},
)


class RegisterView(PublicAPIView):
    """Create an account; its role is always USER."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(
        request=RegisterSerializer,
        responses={201: RegisteredSerializer},
        examples=[
            OpenApiExample(
                "Register",
                request_only=True,
                value={
                    "username": "user1",
                    "first_name": "User",
                    "last_name": "One",
                    "email": "user1@example.com",
                    "password": "Correct-Horse-42",
                },
            ),
            OpenApiExample(
                "Registered",
                response_only=True,
                status_codes=[201],
                value={"msg": "User registered successfully.", "user": USER_EXAMPLE},
            ),
        ],
    )
    def post(self, request):
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_register(**serializer.validated_data)
        body = {
            "msg": _("User registered successfully."),
            "user": UserSerializer(user).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(PublicAPIView):
    """Exchange a username and password for a token pair."""

    throttle_scope = "login"

    def get_throttles(self):
        self.failure_throttle = LoginFailureThrottle()
        return [ScopedRateThrottle(), self.failure_throttle]

    @extend_schema(
        request=LoginSerializer,
        responses={
            200: TokenPairSerializer,
            401: error_response(
                401,
                "Wrong password, unknown user or inactive account: always the same answer.",
                {"detail": "Invalid username or password.", "code": "invalid_credentials"},
            ),
            403: error_response(
                403,
                "The right password, but EMAIL_VERIFICATION is mandatory and the account's "
                "email is not verified yet (POST /user/resend-verification sends a new link).",
                {"detail": str(services.EMAIL_NOT_VERIFIED), "code": "email_not_verified"},
            ),
            429: error_response(
                429,
                "Throttled (`throttled`), or the username is locked after failed logins "
                "(`account_locked`, the right password too); retry after `Retry-After` seconds.",
                {
                    "detail": "Too many failed logins for this username; try again later. "
                    "Expected available in 60 seconds.",
                    "code": "account_locked",
                },
            ),
        },
        examples=[
            OpenApiExample(
                "Login",
                request_only=True,
                value={"username": "user1", "password": "Correct-Horse-42"},
            ),
            TOKEN_PAIR_EXAMPLE,
        ],
    )
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # A locked username raises Locked: project.errors answers 429 with Retry-After.
        try:
            pair = services.user_login(
                **serializer.validated_data, client=client_from_request(request)
            )
        except Unauthenticated as exc:
            self.failure_throttle.record_failure()
            raise _unauthenticated(exc) from None
        return Response(pair)


class TokenRefreshView(PublicAPIView):
    """Spend a session's refresh token for its next pair; a spent one ends the session."""

    @extend_schema(
        request=RefreshTokenSerializer,
        responses={200: TokenPairSerializer, 401: INVALID_TOKEN_RESPONSE},
        examples=[REFRESH_TOKEN_EXAMPLE, TOKEN_PAIR_EXAMPLE],
    )
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            pair = services.token_refresh(
                **serializer.validated_data, client=client_from_request(request)
            )
        except Unauthenticated as exc:
            raise _unauthenticated(exc) from None
        return Response(pair)


class LogoutView(PublicAPIView):
    """End a session: all its refresh and access tokens."""

    @extend_schema(
        request=RefreshTokenSerializer,
        responses={200: MessageSerializer, 401: INVALID_TOKEN_RESPONSE},
        examples=[
            REFRESH_TOKEN_EXAMPLE,
            OpenApiExample("Logged out", response_only=True, value={"msg": "Logged out."}),
        ],
    )
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            services.logout(**serializer.validated_data, client=client_from_request(request))
        except Unauthenticated as exc:
            raise _unauthenticated(exc) from None
        return Response({"msg": _("Logged out.")})


def _unauthenticated(exc):
    """The service's refusal as DRF's 401, which carries the WWW-Authenticate header."""
    return AuthenticationFailed(exc.message, code=exc.code)
