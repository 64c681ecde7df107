"""The admin routes under /api/user/: list, read, update, delete, grant and revoke admin.

Who may do what is decided by accounts.policies (through the permission
classes) and re-checked by the services, which also record each change in
the admin site's history; this module only wires HTTP to them.
"""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response

from accounts import lockout, services
from accounts.clients import client_from_request
from accounts.filters import FilterBackend, asks_for_filters
from accounts.models import Role, User
from accounts.openapi import AutoSchema, error_response
from accounts.pagination import UserPagination
from accounts.permissions import IsAdminRole, UserPolicy
from accounts.serializers import (
    AdminUpdatedSerializer,
    AdminUserSerializer,
    MessageSerializer,
    UserSerializer,
)
from accounts.shaping import rows


class UserFilter(filters.FilterSet):
    """`?role=ADMIN|USER` and `?active=true|false`; any other value is a 400."""

    role = filters.ChoiceFilter(choices=Role.choices)
    active = filters.TypedChoiceFilter(
        field_name="is_active",
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
    )

    class Meta:
        model = User
        fields = ["role", "active"]


class StableOrderingFilter(OrderingFilter):
    """Order as asked, then by id in the same direction, so pages never overlap.

    The (column, id) indexes of the migration serve exactly these orderings.
    """

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and all(term.lstrip("-") != "id" for term in ordering):
            ordering.append("-id" if ordering[-1].startswith("-") else "id")
        return ordering


LAST_ACTIVE_ADMIN_RESPONSE = error_response(
    409,
    description="It would leave no active admin.",
    example={"detail": str(services.LAST_ACTIVE_ADMIN), "code": "last_active_admin"},
)
UPDATED_RESPONSES = {200: AdminUpdatedSerializer, 409: LAST_ACTIVE_ADMIN_RESPONSE}


class UserAdminSchema(AutoSchema):
    """The role actions read no body, yet answer 400 when the role is already as asked."""

    def get_error_codes(self):
        codes = super().get_error_codes()
        if getattr(self.view, "action", None) in ("make_admin", "revoke_admin"):
            codes.add(400)
        return codes


UPDATE_RULE = (
    "An admin may update their own account and USER accounts; only superusers may "
    "update or deactivate another admin; never deactivate the last active admin (409). "
    "A new `email` applies at once and is unverified (`email_verified` false)."
)


@extend_schema_view(
    list=extend_schema(
        description="List accounts, paginated, with search, filters and ordering (admins only)."
    ),
    retrieve=extend_schema(description="Read one account (admins only)."),
    update=extend_schema(description=UPDATE_RULE, responses=UPDATED_RESPONSES),
    partial_update=extend_schema(description=UPDATE_RULE, responses=UPDATED_RESPONSES),
    destroy=extend_schema(
        description="An admin may delete USER accounts; superusers other admins too; "
        "nobody deletes themselves.",
        responses={200: MessageSerializer, 409: LAST_ACTIVE_ADMIN_RESPONSE},
    ),
)
class UserAdminViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Manage accounts: the ADMIN role only, each action under accounts.policies."""

    queryset = User.objects.all()
    schema = UserAdminSchema()
    serializer_class = AdminUserSerializer
    permission_classes = [IsAdminRole, UserPolicy]
    pagination_class = UserPagination
    filter_backends = [FilterBackend, SearchFilter, StableOrderingFilter]
    filterset_class = UserFilter
    search_fields = ["username", "email", "first_name", "last_name"]
    ordering_fields = ["id", "username", "email", "created_at", "last_login"]
    ordering = ["id"]
    # One spelling per id: ASCII digits without leading zeros. Anything else
    # (`01`, `+1`, a fullwidth digit, `abc`) never reaches the database: the URL does not
    # match (404), so `/api/user/01` cannot reach the account `/api/user/1` is.
    lookup_value_regex = r"[1-9][0-9]*"

    def tally_filters(self):
        """The list's filters for an exact count from UserTally; None when a search narrows it."""
        if SearchFilter().get_search_terms(self.request):
            return None
        if not asks_for_filters(self.request, UserFilter):
            return {}
        # Valid: DjangoFilterBackend refused any other value (400) before the page.
        filterset = UserFilter(self.request.query_params, queryset=self.queryset)
        filterset.is_valid()
        return {
            filterset.filters[name].field_name: value
            for name, value in filterset.form.cleaned_data.items()
            if value not in ("", None)
        }

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            # Rows of just the columns the user objects show, shaped by
            # accounts.shaping: no model instances, no password hash.
            # AdminUserListSerializer adds each lock to the user object's columns.
            queryset = lockout.with_any_lock(rows(queryset, UserSerializer))
        return queryset

    def update(self, request, *args, **kwargs):
        user = self.get_object()
        serializer = self.get_serializer(user, data=request.data, partial=kwargs.get("partial"))
        serializer.is_valid(raise_exception=True)
        user = services.user_admin_update(
            actor=request.user,
            user=user,
            client=client_from_request(request),
            **serializer.validated_data,
        )
        body = {"msg": _("Updated Successfully."), "user": AdminUserSerializer(user).data}
        return Response(body)

    def destroy(self, request, *args, **kwargs):
        services.user_delete(actor=request.user, user=self.get_object())
        return Response({"msg": _("User deleted.")})

    @extend_schema(request=None, responses={200: MessageSerializer})
    @action(detail=True, methods=["put"])
    def make_admin(self, request, pk=None):
        """Grant the ADMIN role to a USER (400 if already an admin)."""
        services.user_grant_admin(actor=request.user, user=self.get_object())
        return Response({"msg": _("User has been granted admin privileges.")})

    @extend_schema(
        request=None,
        responses={200: MessageSerializer, 409: LAST_ACTIVE_ADMIN_RESPONSE},
    )
    @action(detail=True, methods=["put"])
    def revoke_admin(self, request, pk=None):
        """Take the ADMIN role away (superusers only; 409 for the last active admin)."""
        services.user_revoke_admin(actor=request.user, user=self.get_object())
        return Response({"msg": _("Admin privileges have been revoked.")})

    @extend_schema(
        request=None,
        responses={200: MessageSerializer},
        description="End every session of an account: allowed where updating it is "
        "(an admin's own account and USER accounts; superusers any admin too).",
    )
    @action(detail=True, methods=["post"])
    def logout_all(self, request, pk=None):
        """End every session of an account, where updating it is allowed."""
        services.user_logout_all(
            actor=request.user, user=self.get_object(), client=client_from_request(request)
        )
        return Response({"msg": _("User logged out of all sessions.")})

    @extend_schema(
        request=None,
        responses={200: MessageSerializer},
        description="End the username's lock and failed-login streak; 200 also when it "
        "was not locked. Allowed where updating the account is.",
    )
    @action(detail=True, methods=["post"])
    def unlock(self, request, pk=None):
        """End the username's lock after failed logins (where updating the user is allowed)."""
        services.user_unlock(
            actor=request.user, user=self.get_object(), client=client_from_request(request)
        )
        return Response({"msg": _("Account unlocked.")})
