"""DRF's content negotiation, its answer remembered per Accept header.

DRF parses the Accept header and matches every media type in it against each
renderer, for every request: about a twentieth of a profile GET's CPU. Its
answer depends only on the view's renderer classes, the requested format
(`.json` suffix or `?format=`) and the Accept header, and clients send few
distinct Accept headers, so each answer is kept and reused. DRF itself keeps
no process-wide cache of client input, so that a client cannot grow one: this
one holds at most MAX_ANSWERS and starts afresh when full, so a client sending
a new header each time only gets DRF's work done as before. A refusal (406)
is never kept: it is raised again each time.
"""

from rest_framework.negotiation import DefaultContentNegotiation

MAX_ANSWERS = 256


class ContentNegotiation(DefaultContentNegotiation):
    answers = {}

    def select_renderer(self, request, renderers, format_suffix=None):
        requested = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        key = (
            tuple(type(renderer) for renderer in renderers),
            requested,
            request.META.get("HTTP_ACCEPT"),
        )
        answer = self.answers.get(key)
        if answer is None:
            renderer, media_type = super().select_renderer(request, renderers, format_suffix)
            if len(self.answers) >= MAX_ANSWERS:
                self.answers.clear()
            answer = self.answers[key] = (renderers.index(renderer), media_type)
        index, media_type = answer
        return renderers[index], media_type
