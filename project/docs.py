"""The API docs: the OpenAPI document, Swagger UI and ReDoc, as drf-spectacular serves them.

Three gaps in drf-spectacular's views are closed here. DRF answers OPTIONS
with its metadata, rendered by the view's renderer: the docs pages render a
template, so that was a 500 (Swagger UI, no template for it) or a broken
page (ReDoc). The schema view renders its errors as YAML, in a shape of its
own. And it copies `?version=` into the document and into a response
header, so a line break there was a 500; this API has one version.
"""

from django.views import View
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.renderers import JSONRenderer


class PlainOptions:
    """Answer OPTIONS as Django's own views do: 200, the Allow header, no body."""

    def options(self, request, *args, **kwargs):
        return View.options(self, request, *args, **kwargs)


class SchemaView(PlainOptions, SpectacularAPIView):
    """The OpenAPI document (YAML, or JSON with `?format=json`); errors in JSON."""

    def _get_version_parameter(self, request):
        return None

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            # A 404 for an unknown ?format=, a 406 for an Accept it cannot
            # meet: the JSON error shape every other route answers with.
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


class SwaggerView(PlainOptions, SpectacularSwaggerSplitView):
    """Swagger UI; its start-up script is served as a file, so no inline script."""


class RedocView(PlainOptions, SpectacularRedocView):
    """ReDoc."""
