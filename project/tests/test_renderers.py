"""project.renderers.JSONRenderer writes exactly the bytes DRF's JSONRenderer writes."""

import datetime
import decimal
import json
import uuid

import orjson
import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer as DRFJSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from accounts.models import Role
from project.renderers import JSONRenderer

UTC = datetime.UTC
BODIES = {
    "user object": {
        "id": 1,
        "username": "ünïcødé 用户 \U0001f600",
        "email": "a@example.com",
        "first_name": 'quote " backslash \\ tab \t newline \n nul \x00 del \x7f',
        "last_name": "",
        "role": Role.ADMIN,
        "active": True,
        "created_at": "2026-12-01T20:33:02.275052Z",
        "last_login": None,
    },
    "list": ReturnList([ReturnDict({"a": 1}, serializer=None), [], {}, (1, 2)], serializer=None),
    "separators": {"text": "line\u2028separator\u2029paragraph"},
    "lazy and detail strings": {
        "detail": ErrorDetail("Not found.", code="not_found"),
        "msg": gettext_lazy("User deleted."),
    },
    "other types": {
        "datetime": datetime.datetime(2026, 12, 1, 20, 33, 2, 275052, tzinfo=UTC),
        "whole second": datetime.datetime(2026, 12, 1, 20, 33, 2, tzinfo=UTC),
        "naive": datetime.datetime(2026, 12, 1, 20, 33, 2, 1),
        "date": datetime.date(2026, 12, 1),
        "time": datetime.time(20, 33, 2, 500000),
        "timedelta": datetime.timedelta(seconds=90),
        "decimal": decimal.Decimal("1.50"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "bytes": b"abc",
        "set": {1},
    },
    "big integer": {"n": 2**70, "negative": -(2**63) - 1},
    "non-string keys": {1: "one", None: "none", 2.5: "float"},
    "empty string": "",
    "number": 0,
}
_deep = []
for _ in range(300):  # beyond orjson's 254 levels
    _deep = [_deep]
BODIES["nested 300 levels"] = _deep


@pytest.mark.parametrize("name", BODIES)
def test_renders_the_same_bytes_as_drf(name):
    body = BODIES[name]

    assert JSONRenderer().render(body) == DRFJSONRenderer().render(body)


@pytest.mark.parametrize(
    ("media_type", "context"),
    [("application/json; indent=4", {}), ("application/json", {"indent": 2})],
)
def test_indented_rendering_is_drfs(media_type, context):
    body = {"a": [1, {"b": "c"}]}

    rendered = JSONRenderer().render(body, media_type, context)

    assert rendered == DRFJSONRenderer().render(body, media_type, context)
    assert b"\n" in rendered


def test_a_string_that_is_not_unicode_fails_as_in_drf():
    body = {"text": "\ud800"}

    with pytest.raises(UnicodeEncodeError):
        DRFJSONRenderer().render(body)
    with pytest.raises(UnicodeEncodeError):
        JSONRenderer().render(body)


def test_none_renders_as_an_empty_body():
    assert JSONRenderer().render(None) == b""


def test_is_the_json_renderer_of_every_api_view(settings):
    assert settings.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"][0] == (
        "project.renderers.JSONRenderer"
    )


OBJECT = {"id": 7, "name": "line\u2028separator \U0001f600", "at": "2026-12-01T20:33:02Z"}


@pytest.mark.parametrize(
    ("media_type", "context"),
    [
        ("application/json", {}),
        ("application/json; indent=4", {}),
        ("application/json", {"indent": 2}),
    ],
)
def test_objects_the_database_wrote_render_as_their_dicts(media_type, context):
    written = orjson.Fragment(json.dumps(OBJECT, ensure_ascii=False, separators=(",", ":")))
    body = {"count": 1, "results": ReturnList([written], serializer=None)}
    as_dicts = {"count": 1, "results": [OBJECT]}

    rendered = JSONRenderer().render(body, media_type, context)

    assert rendered == DRFJSONRenderer().render(as_dicts, media_type, context)
