"""DRF permission classes for the admin routes; the rules themselves are in policies."""

from rest_framework.permissions import BasePermission

from accounts import policies


class IsAdminRole(BasePermission):
    """Allow active users with the ADMIN role (DRF's IsAdminUser checks is_staff instead)."""

    def has_permission(self, request, view):
        return policies.can_manage_users(request.user)


class UserPolicy(BasePermission):
    """Allow an action on one account when the policy for that action says so."""

    rules = {
        "retrieve": policies.can_view_user,
        "update": policies.can_update_user,
        "partial_update": policies.can_update_user,
        "destroy": policies.can_delete_user,
        "make_admin": policies.can_grant_admin,
        "revoke_admin": policies.can_revoke_admin,
        "logout_all": policies.can_update_user,
        "unlock": policies.can_update_user,
    }

    def has_object_permission(self, request, view, obj):
        # The action is looked up from the method, not view.action, so the
        # browsable API's forms (rendered under a cloned PUT/DELETE request
        # of a GET) follow the rule of the request they would send.
        action = view.action_map.get(request.method.lower(), view.action)
        rule = self.rules.get(action)
        return rule is not None and rule(request.user, obj)
