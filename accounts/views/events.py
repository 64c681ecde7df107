"""The security-event history: the caller's own (/user/events) and an account's, for admins."""

from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework.generics import ListAPIView

from accounts import events
from accounts.filters import FilterBackend
from accounts.models import EventType, SecurityEvent
from accounts.pagination import ListPagination
from accounts.serializers import EventSerializer
from accounts.views.lists import AccountRowsMixin

EVENT_EXAMPLE = OpenApiExample(
    "Events",
    response_only=True,
    value={
        "id": 7,
        "type": "login",
        "created_at": "2026-11-25T10:00:00Z",
        "ip_address": "203.0.113.7",
        "user_agent": "curl/8.5.0",
        "session_id": None,
        "actor_id": None,
    },
)


class EventFilter(filters.FilterSet):
    """`?type=` one of the event types; any other value is a 400."""

    type = filters.ChoiceFilter(choices=EventType.choices)

    class Meta:
        model = SecurityEvent
        fields = ["type"]


@extend_schema_view(get=extend_schema(examples=[EVENT_EXAMPLE]))
class EventListView(ListAPIView):
    """List the caller's security events, newest first; `?type=` filters by type."""

    serializer_class = EventSerializer
    pagination_class = ListPagination
    filter_backends = [FilterBackend]
    filterset_class = EventFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI document's dry run
            return SecurityEvent.objects.none()
        return events.history(self.account_id(), shaped_by=EventSerializer)

    def account_id(self):
        return self.request.user.pk


class UserEventListView(AccountRowsMixin, EventListView):
    """List an account's security events, newest first (admins only); `?type=` filters."""
