"""What a user does with their own account as a whole: delete it, export what is held on it."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts import events, services, sessions
from accounts.schema import USER_EXAMPLE
from accounts.serializers import (
    CurrentPasswordSerializer,
    EventSerializer,
    ExportSerializer,
    MessageSerializer,
    SessionSerializer,
    user_data,
)
from accounts.views.sessions import current_session_id
from accounts.views.users import LAST_ACTIVE_ADMIN_RESPONSE


class DeleteAccountView(APIView):
    """Delete the caller's account; every token dies, the username and email are free again."""

    # Throttled: with a stolen access token, the password check is a guessing oracle.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "delete_account"

    @extend_schema(
        request=CurrentPasswordSerializer,
        responses={200: MessageSerializer, 409: LAST_ACTIVE_ADMIN_RESPONSE},
        examples=[
            OpenApiExample(
                "Delete my account",
                request_only=True,
                value={"current_password": "Correct-Horse-42"},
            ),
            OpenApiExample("Deleted", response_only=True, value={"msg": "Account deleted."}),
        ],
    )
    def post(self, request):
        serializer = CurrentPasswordSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        services.user_delete_account(user=request.user)
        return Response({"msg": _("Account deleted.")})


class ExportView(APIView):
    """Return what the service holds about the caller, passwords and tokens excepted."""

    # Throttled: each export reads the caller's whole history.
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "export"

    @extend_schema(
        responses={200: ExportSerializer},
        examples=[
            OpenApiExample(
                "Export",
                response_only=True,
                value={"user": USER_EXAMPLE, "sessions": [], "events": []},
            )
        ],
    )
    def get(self, request):
        user = request.user
        live = sessions.live_sessions(user.pk, current_session_id(request))
        history = events.history(user.pk)
        return Response(
            {
                "user": user_data(user),
                "sessions": SessionSerializer(live, many=True).data,
                "events": EventSerializer(history, many=True).data,
            }
        )
