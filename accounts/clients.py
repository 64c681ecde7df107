"""Where a request came from, in the form the services record it.

Services know no HTTP: the doors (API views, the admin site) describe the
client with `client_from_request()` and hand the result down.
"""

from dataclasses import dataclass

from rest_framework.throttling import BaseThrottle

# As long as the session and event records keep.
USER_AGENT_MAX_LENGTH = 256


@dataclass(frozen=True)
class Client:
    """A client's address (as the throttles see it) and its user agent."""

    ip_address: str | None = None
    user_agent: str = ""


def client_from_request(request):
    """Describe the request's client; the address honours NUM_PROXIES like the throttles."""
    ip_address = BaseThrottle().get_ident(request) or None
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX_LENGTH]
    return Client(ip_address=ip_address, user_agent=user_agent)
