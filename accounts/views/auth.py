from django.contrib.auth import authenticate
from django.contrib.auth.models import update_last_login
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts import jwt, services
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


class RegisterView(PublicAPIView):
    """Create an account; its role is always USER."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "register"

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredSerializer})
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

    @extend_schema(request=LoginSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # authenticate() hashes a dummy password for unknown users and returns
        # None for inactive ones: every failure looks the same, in body and time.
        user = authenticate(request, **serializer.validated_data)
        if user is None:
            self.failure_throttle.record_failure()
            raise AuthenticationFailed(
                _("Invalid username or password."), code="invalid_credentials"
            )
        # last_login also ends any password-reset link sent before this login.
        update_last_login(None, user)
        return Response(jwt.issue_token_pair(user))


class TokenRefreshView(PublicAPIView):
    """Spend a refresh token for a new pair; the old refresh token dies."""

    @extend_schema(request=RefreshTokenSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            pair = jwt.rotate_refresh_token(serializer.validated_data["refresh_token"])
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from None
        return Response(pair)


class LogoutView(PublicAPIView):
    """End a session: its refresh token and the access tokens issued with it."""

    @extend_schema(request=RefreshTokenSerializer, responses={200: MessageSerializer})
    def post(self, request):
        serializer = RefreshTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            jwt.revoke_refresh_token(serializer.validated_data["refresh_token"])
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from None
        return Response({"msg": _("Logged out.")})
