from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.generics import RetrieveUpdateAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
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


@extend_schema_view(
    get=extend_schema(examples=[_PROFILE_EXAMPLE]),
    put=extend_schema(examples=[_PROFILE_UPDATE_EXAMPLE, _PROFILE_EXAMPLE]),
    patch=extend_schema(examples=[_PROFILE_UPDATE_EXAMPLE, _PROFILE_EXAMPLE]),
)
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
        services.user_update(user=serializer.instance, **serializer.validated_data)


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
            user=request.user, password=serializer.validated_data["new_password"]
        )
        return Response({"msg": _("Password changed.")})
