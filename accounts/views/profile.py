from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.generics import RetrieveUpdateAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.clients import client_from_request
from accounts.schema import USER_EXAMPLE
from accounts.serializers import (
    ChangePasswordSerializer,
    MessageSerializer,
    UserSerializer,
    user_data,
)

_PROFILE_EXAMPLE = OpenApiExample("Profile", response_only=True, value=USER_EXAMPLE)
_PROFILE_UPDATE_EXAMPLE = OpenApiExample(
    "Update profile",
    request_only=True,
    value={
        "username": "user1",
        "email": "user1@example.com",
        "first_name": "User",
        "last_name": "One",
    },
)


_EMAIL_CHANGE_EXAMPLE = OpenApiExample(
    "Email change pending",
    response_only=True,
    value={**USER_EXAMPLE, "pending_email": "new-address@example.com"},
    description="Unless EMAIL_VERIFICATION is none, a new `email` waits in `pending_email` "
    "until the link sent there is followed.",
)
_UPDATE_DESCRIPTION = (
    "Change the caller's username, names or email. Unless EMAIL_VERIFICATION is `none`, a "
    "new `email` does not apply at once: `email` stays, `pending_email` shows the new "
    "address, a link goes there and a notice (without a link) to the current one; "
    "following the link (`POST /user/verify-email/{token}`) makes it the verified `email`. "
    "A newer change replaces a pending one. With `none`, `email` changes at once, unverified."
)
_UPDATE = extend_schema(
    description=_UPDATE_DESCRIPTION,
    examples=[_PROFILE_UPDATE_EXAMPLE, _PROFILE_EXAMPLE, _EMAIL_CHANGE_EXAMPLE],
)


@extend_schema_view(get=extend_schema(examples=[_PROFILE_EXAMPLE]), put=_UPDATE, patch=_UPDATE)
class ProfileView(RetrieveUpdateAPIView):
    """Read and change the caller's own account; role and active stay as they are."""

    serializer_class = UserSerializer

    def get(self, request, *args, **kwargs):
        # The generic retrieve() builds a serializer, with its fields and
        # context, per request; user_data() returns the same body for less
        # CPU (see there). PUT and PATCH keep the generic update().
        return Response(user_data(request.user))

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer):
        services.user_update(
            user=serializer.instance,
            client=client_from_request(self.request),
            **serializer.validated_data,
        )


class ChangePasswordView(APIView):
    """Change the caller's password; every token issued before stops working."""

    @extend_schema(
        request=ChangePasswordSerializer,
        responses={200: MessageSerializer},
        examples=[
            OpenApiExample(
                "Change password",
                request_only=True,
                value={"current_password": "Correct-Horse-42", "new_password": "Battery-Staple-77"},
            ),
            OpenApiExample("Changed", response_only=True, value={"msg": "Password changed."}),
        ],
    )
    def post(self, request):
        serializer = ChangePasswordSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.user_change_password(
            user=request.user,
            password=serializer.validated_data["new_password"],
            client=client_from_request(request),
        )
        return Response({"msg": _("Password changed.")})
