"""The Content-Security-Policy: django-csp's middleware, one policy for HTML, one for the rest.

HTML pages (the docs, the admin site, the browsable API, the reset page) get
django-csp's policy from settings.CONTENT_SECURITY_POLICY: scripts, styles,
images and fonts from this server only, and no inline script unless it
carries the request's nonce (`<script nonce="{{ request.csp_nonce }}">`;
django-csp adds the nonce to the header only on pages that use it).

What django-csp cannot do, and this module does by hand: choose the policy
by the response's media type. It has one project-wide policy and per-view
decorators; every JSON answer (each DRF view, each error handler, a 404
outside any view) should load nothing at all, so non-HTML responses get
API_POLICY through the get_policy_parts() hook django-csp provides for this.
"""

from csp.constants import HEADER, NONE
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings

API_POLICY = {"default-src": [NONE], "frame-ancestors": [NONE]}
API_HEADER = build_policy(config=API_POLICY)
# What a view's django-csp decorators set on its response.
_PER_RESPONSE = tuple(
    f"_csp_{kind}{suffix}"
    for kind in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """Set django-csp's policy on HTML pages and `default-src 'none'` on everything else."""

    def process_response(self, request, response):
        # A JSON answer that no decorator or nonce changed gets API_HEADER as
        # it is: django-csp would build the same string from the settings
        # again for every response, twice (the policy and the report-only one).
        if (
            response.get("Content-Type", "").startswith("text/html")
            or any(hasattr(response, name) for name in _PER_RESPONSE)
            or getattr(request, "_csp_nonce", None) is not None
            or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or (settings.DEBUG and response.status_code in (404, 500))
        ):
            return super().process_response(request, response)
        response.headers.setdefault(HEADER, API_HEADER)
        return response

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        is_html = response.get("Content-Type", "").startswith("text/html")
        if not report_only and parts.config is None and not is_html:
            parts.config = API_POLICY
        return parts
