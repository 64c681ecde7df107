from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from project import docs, health


class DocsRedirect(RedirectView):
    """Send a visitor of / to the interactive docs: the service's front door."""

    pattern_name = "swagger-ui"
    http_method_names = ["get", "head"]


urlpatterns = [
    re_path(r"^/?$", DocsRedirect.as_view(), name="home"),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("", include("accounts.urls")),
    re_path(r"^api/schema/?$", docs.SchemaView.as_view(), name="schema"),
    re_path(r"^swagger-ui/?$", docs.SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    re_path(r"^redoc/?$", docs.RedocView.as_view(url_name="schema"), name="redoc"),
    re_path(r"^healthz/?$", health.HealthzView.as_view(), name="healthz"),
    re_path(r"^readyz/?$", health.ReadyzView.as_view(), name="readyz"),
]

handler400 = "project.errors.bad_request"
handler403 = "project.errors.permission_denied"
handler404 = "project.errors.page_not_found"
handler500 = "project.errors.server_error"
