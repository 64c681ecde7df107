"""A Content-Security-Policy on every response (Django 5.2 has none built in).

HTML pages (the docs, the admin site, the browsable API, the reset page)
may load scripts, styles, images and fonts from this server only; no page
runs an inline script unless it carries the request's nonce
(`<script nonce="{{ request.csp_nonce }}">`). Inline styles stay allowed:
ReDoc's styled-components inject `<style>` elements that no hash can
predict. Everything else (JSON) may load nothing at all.
"""

import secrets

HTML_POLICY = (
    "default-src 'self'; "
    "script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "worker-src 'self' blob:; "
    "object-src 'none'; "
    "base-uri 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


class ContentSecurityPolicyMiddleware:
    """Set the Content-Security-Policy header, strict for JSON, same-origin for HTML."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            is_html = response.get("Content-Type", "").startswith("text/html")
            policy = HTML_POLICY.format(nonce=request.csp_nonce) if is_html else API_POLICY
            response["Content-Security-Policy"] = policy
        return response
