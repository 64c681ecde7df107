from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import RetrieveUpdateAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.serializers import (
    ChangePasswordSerializer,
    MessageSerializer,
    UserSerializer,
)


class ProfileView(RetrieveUpdateAPIView):
    """Read and change the caller's own account; role and active stay as they are."""

    serializer_class = UserSerializer

    def get_object(self):
        return self.request.user

    def perform_update(self, serializer):
        services.user_update(user=serializer.instance, **serializer.validated_data)


class ChangePasswordView(APIView):
    """Change the caller's password; every token issued before stops working."""

    @extend_schema(request=ChangePasswordSerializer, responses={200: MessageSerializer})
    def post(self, request):
        serializer = ChangePasswordSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.user_change_password(
            user=request.user, password=serializer.validated_data["new_password"]
        )
        return Response({"msg": _("Password changed.")})
