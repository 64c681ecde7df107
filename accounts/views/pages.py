"""The pages that emailed links open: HTML for browsers, JSON for API clients, one URL.

A link (reset a password, verify an address) opens a page whose form posts
back to the same URL; an API client (or a frontend the link templates point
to) posts JSON there instead. Both go through one serializer and one
service: only the renderer differs, chosen by what the request sends.
"""

from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers
from rest_framework.authentication import CSRFCheck
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser
from rest_framework.throttling import ScopedRateThrottle

from accounts.openapi import error_response
from accounts.parsers import JSONParser
from accounts.views.public import PublicAPIView

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"


class PageRenderer(renderers.BaseRenderer):
    """Render a link page's state from the same data the JSON API answers with.

    The view's `template_prefix` names its templates: `<prefix>_form.html`
    (also shown again with the errors of a refused post), `_done.html` and
    `_invalid.html` (a bad, used or expired link); request-level errors share
    accounts/page_error.html.
    """

    media_type = "text/html"
    format = "html"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        view, response = renderer_context["view"], renderer_context["response"]
        data = data if isinstance(data, dict) else {}
        prefix = view.template_prefix
        if "detail" in data:  # CSRF failure, throttling, a wrong method or body
            template, context = "accounts/page_error.html", {"detail": data["detail"]}
        elif "token" in data:
            template, context = f"{prefix}_invalid.html", {"token_errors": data["token"]}
        elif "msg" in data:
            template, context = f"{prefix}_done.html", {"message": data["msg"]}
        else:  # the form, with the messages of a refused post
            errors = data if response.exception else {}
            template, context = f"{prefix}_form.html", {"errors": errors}
        context["page_title"] = view.page_title
        return render_to_string(template, context, request=renderer_context["request"]._request)


def is_form_post(request):
    media_type = request.content_type.split(";", 1)[0].strip().lower()
    return request.method == "POST" and media_type == FORM_MEDIA_TYPE


def html(description):
    """Describe an HTML answer in the OpenAPI document."""
    return OpenApiResponse(OpenApiTypes.STR, description=description)


UNAVAILABLE_PAGE = html("The database is unreachable: an HTML page saying so.")
# What every post to a link page can also answer, besides its own 200 and 400.
POST_ERRORS = {
    (403, "text/html"): html("A form post without a valid CSRF token."),
    (429, "application/json"): error_response(429),
    (429, "text/html"): html("A page saying to wait before trying again."),
    (503, "application/json"): error_response(503),
    (503, "text/html"): UNAVAILABLE_PAGE,
}


# Renderers are picked by what the request sends; there is no ?format= switch.
@extend_schema(parameters=[OpenApiParameter("format", exclude=True)])
class LinkPageView(PublicAPIView):
    """A link's page: GET shows it, POST acts, with JSON or the page's form.

    Opening the page never acts: mail scanners open links. DRF views skip
    Django's CSRF middleware, which suits JSON clients (they hold no cookie
    to ride on); the HTML form does rely on the browser's cookies, so its
    posts are checked here as the middleware would. Subclasses set
    `template_prefix`, `page_title` and `throttle_scope` (posts per client
    address).
    """

    parser_classes = [JSONParser, FormParser]
    renderer_classes = [renderers.JSONRenderer, PageRenderer]
    template_prefix = None
    page_title = None

    def get_throttles(self):
        # Only a post acts; opening the page costs one token check, as cheap
        # as any other request.
        return [ScopedRateThrottle()] if self.request.method == "POST" else []

    def perform_content_negotiation(self, request, force=False):
        # Browsers (the page, its form) get HTML; JSON in means JSON out.
        as_html = request.method in ("GET", "HEAD") or is_form_post(request)
        renderer = self.renderer_classes[1 if as_html else 0]()
        return renderer, renderer.media_type

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if is_form_post(request):
            check = CSRFCheck(lambda _request: None)
            check.process_request(request)
            reason = check.process_view(request, None, (), {})
            if reason:
                raise PermissionDenied(_("CSRF verification failed: %s") % reason)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # The URL holds a live token: keep it out of caches and of Referer
        # headers to other sites. Not "no-referrer": browsers would then send
        # `Origin: null` with the form, which fails Django's CSRF origin check.
        add_never_cache_headers(response)
        response["Referrer-Policy"] = "same-origin"
        return response
