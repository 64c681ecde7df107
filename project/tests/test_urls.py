"""Every URL pattern and its methods, compared with a saved snapshot (as djoser does).

An accidental API change (a route renamed, dropped or gaining a method)
fails here. After an intended change, rewrite the snapshot with
`UPDATE_URL_SNAPSHOT=1 ./dev test project/tests/test_urls.py` and commit it.
"""

import os
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

SNAPSHOT = Path(__file__).with_name("urls.snapshot.txt")
# Django's own sites: their routes follow the Django version, not this API.
OPAQUE_PREFIXES = ("admin/",)


# Implied by GET (DRF adds it to a viewset's actions on first use) or by any route.
IMPLIED = ("head", "options")


def _methods(callback):
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset route: its method -> action map
        return sorted(method.upper() for method in actions if method not in IMPLIED)
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return ["*"]
    return sorted(
        method.upper()
        for method in view_class.http_method_names
        if method not in IMPLIED and hasattr(view_class, method)
    )


def _routes(patterns, prefix=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if route.startswith(OPAQUE_PREFIXES):
                yield f"{route} (Django's admin site)"
            else:
                yield from _routes(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield f"{route}  name={entry.name}  {','.join(_methods(entry.callback))}"


def current_routes():
    return "\n".join(_routes(get_resolver().url_patterns)) + "\n"


def test_url_patterns_match_the_snapshot():
    routes = current_routes()
    if os.environ.get("UPDATE_URL_SNAPSHOT") == "1":
        SNAPSHOT.write_text(routes)

    assert routes == SNAPSHOT.read_text(), (
        "The URL patterns changed. If intended, run "
        "UPDATE_URL_SNAPSHOT=1 ./dev test project/tests/test_urls.py and commit the snapshot."
    )


def test_every_api_route_takes_an_optional_trailing_slash():
    for line in current_routes().splitlines():
        route = line.split()[0]
        if route.startswith(("admin/", "api-auth/", "^static/")):
            continue
        assert route.endswith("/?$"), route


def test_root_leads_to_the_docs(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/swagger-ui"
