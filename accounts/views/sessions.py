"""The caller's sessions: list them, end one, end them all."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services, sessions
from accounts.clients import client_from_request
from accounts.openapi import error_response
from accounts.pagination import ListPagination
from accounts.serializers import MessageSerializer, SessionSerializer
from accounts.views.lists import AccountRowsMixin


def current_session_id(request):
    """The session of the request's access token; None under a browser (cookie) login."""
    return getattr(request.auth, "session_id", None)


class SessionListView(ListAPIView):
    """List the caller's live sessions (neither ended nor expired), most recently used first."""

    serializer_class = SessionSerializer
    pagination_class = ListPagination

    def get_queryset(self):
        return sessions.live_sessions(
            self.request.user.pk, current_session_id(self.request), shaped_by=SessionSerializer
        )


class UserSessionListView(AccountRowsMixin, ListAPIView):
    """List an account's live sessions, most recently used first (`current` is false)."""

    serializer_class = SessionSerializer
    pagination_class = ListPagination

    def get_queryset(self):
        return sessions.live_sessions(self.account_id(), shaped_by=SessionSerializer)


class SessionDetailView(APIView):
    """End one of the caller's sessions; its tokens die at once."""

    @extend_schema(
        responses={
            200: MessageSerializer,
            404: error_response(
                404,
                "No live session of the caller has this id.",
                {"detail": str(services.SESSION_NOT_FOUND), "code": "not_found"},
            ),
        },
    )
    def delete(self, request, id):
        services.session_end(user=request.user, session_id=id, client=client_from_request(request))
        return Response({"msg": _("Session ended.")})


class LogoutAllView(APIView):
    """End every session of the caller, this one included."""

    @extend_schema(request=None, responses={200: MessageSerializer})
    def post(self, request):
        services.logout_all(
            user=request.user,
            client=client_from_request(request),
            session_id=current_session_id(request),
        )
        return Response({"msg": _("Logged out of all sessions.")})
