from django.urls import re_path
from rest_framework.routers import SimpleRouter

from accounts.views import (
    auth,
    events,
    password_reset,
    profile,
    self_service,
    sessions,
    users,
    verification,
)


def route(path, view, name):
    """Match `path` with or without a trailing slash, never redirecting."""
    return re_path(rf"^{path}/?$", view.as_view(), name=name)


urlpatterns = [
    route("user/register", auth.RegisterView, "register"),
    route("user/login", auth.LoginView, "login"),
    route("user/token/refresh", auth.TokenRefreshView, "token-refresh"),
    route("user/logout", auth.LogoutView, "logout"),
    route("user/profile", profile.ProfileView, "profile"),
    route("user/change-password", profile.ChangePasswordView, "change-password"),
    route("user/sessions", sessions.SessionListView, "sessions"),
    # Session ids are URL-safe base64: anything else names no session (404).
    route("user/sessions/(?P<id>[A-Za-z0-9_-]+)", sessions.SessionDetailView, "session"),
    route("user/logout-all", sessions.LogoutAllView, "logout-all"),
    route("user/events", events.EventListView, "events"),
    route("user/delete-account", self_service.DeleteAccountView, "delete-account"),
    route("user/export", self_service.ExportView, "export"),
    route(
        "user/request-password-reset",
        password_reset.PasswordResetRequestView,
        "request-password-reset",
    ),
    route(
        "user/reset-password/(?P<token>[^/]+)",
        password_reset.PasswordResetConfirmView,
        "reset-password",
    ),
    route(
        "user/verify-email/(?P<token>[^/]+)",
        verification.VerifyEmailView,
        "verify-email",
    ),
    route(
        "user/resend-verification",
        verification.ResendVerificationView,
        "resend-verification",
    ),
]

urlpatterns += [
    route("api/user/(?P<id>[1-9][0-9]*)/events", events.UserEventListView, "admin-user-events"),
    route(
        "api/user/(?P<id>[1-9][0-9]*)/sessions",
        sessions.UserSessionListView,
        "admin-user-sessions",
    ),
]

# Routers take only trailing_slash=True/False, but their regexes interpolate
# the attribute: "/?" makes the slash optional, with no redirect.
admin_router = SimpleRouter()
admin_router.trailing_slash = "/?"
admin_router.register("api/user", users.UserAdminViewSet, basename="admin-user")
urlpatterns += admin_router.urls
