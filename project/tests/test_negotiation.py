"""The content negotiation: DRF's answers, remembered per Accept header."""

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from project import negotiation
from project.negotiation import ContentNegotiation
from project.renderers import JSONRenderer


@pytest.fixture(autouse=True)
def no_answers(monkeypatch):
    monkeypatch.setattr(ContentNegotiation, "answers", {})


def request_for(path="/user/profile", **headers):
    return Request(APIRequestFactory().get(path, **headers))


def renderers():
    return [JSONRenderer(), BrowsableAPIRenderer()]


def chosen(negotiator, request, format_suffix=None):
    choices = renderers()
    renderer, media_type = negotiator.select_renderer(request, choices, format_suffix)
    return choices.index(renderer), media_type


@pytest.mark.parametrize(
    ("path", "headers", "format_suffix"),
    [
        ("/user/profile", {}, None),
        ("/user/profile", {"HTTP_ACCEPT": "*/*"}, None),
        ("/user/profile", {"HTTP_ACCEPT": "application/json"}, None),
        ("/user/profile", {"HTTP_ACCEPT": "application/json; indent=4"}, None),
        ("/user/profile", {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}, None),
        ("/user/profile", {"HTTP_ACCEPT": "text/html;q=0.5, application/json"}, None),
        ("/user/profile?format=api", {"HTTP_ACCEPT": "*/*"}, None),
        ("/user/profile?format=json", {"HTTP_ACCEPT": "text/html, */*;q=0.1"}, None),
        ("/user/profile", {"HTTP_ACCEPT": "text/html, */*;q=0.1"}, "json"),
    ],
)
def test_the_answer_is_drfs_the_first_time_and_the_next(path, headers, format_suffix):
    expected = chosen(DefaultContentNegotiation(), request_for(path, **headers), format_suffix)
    negotiator = ContentNegotiation()

    first = chosen(negotiator, request_for(path, **headers), format_suffix)
    again = chosen(negotiator, request_for(path, **headers), format_suffix)

    assert first == again == expected


def test_a_header_seen_before_is_answered_without_negotiating_again(monkeypatch):
    calls = []
    drf_select = DefaultContentNegotiation.select_renderer

    def counted(self, *args, **kwargs):
        calls.append(args)
        return drf_select(self, *args, **kwargs)

    monkeypatch.setattr(DefaultContentNegotiation, "select_renderer", counted)
    negotiator = ContentNegotiation()
    for _ in range(3):
        chosen(negotiator, request_for(HTTP_ACCEPT="application/json"))

    assert len(calls) == 1


def test_a_refusal_is_raised_every_time_and_not_kept():
    negotiator = ContentNegotiation()

    for _ in range(2):
        with pytest.raises(NotAcceptable):
            chosen(negotiator, request_for(HTTP_ACCEPT="image/png"))
    assert ContentNegotiation.answers == {}


def test_new_headers_never_grow_the_answers_past_their_bound():
    negotiator = ContentNegotiation()

    for number in range(negotiation.MAX_ANSWERS + 10):
        chosen(negotiator, request_for(HTTP_ACCEPT=f"application/json; v={number}"))

    assert 0 < len(ContentNegotiation.answers) <= negotiation.MAX_ANSWERS
