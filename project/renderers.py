"""DRF's JSON renderer with orjson doing the encoding, byte for byte the same output.

Encoding a page of 100 users takes DRF's renderer (the json module with
DRF's encoder) many times as long as orjson. drf-orjson-renderer is
not used: its output differs from DRF's where this API's bodies can tell,
(U+2028 and U+2029 unescaped, datetimes with microseconds, no `indent`
media type parameter), so this subclass keeps DRF's renderer and only
swaps the encoder where orjson writes the same bytes:

- orjson writes compact UTF-8 without ASCII escapes, as DRF does with its
  default COMPACT_JSON and UNICODE_JSON settings;
- types orjson does not encode natively (lazy translations, Decimal,
  datetimes: OPT_PASSTHROUGH_DATETIME) go through DRF's own encoder;
- U+2028 and U+2029 are escaped afterwards, as DRF does;
- JSON already written (orjson.Fragment: the objects the database wrote,
  accounts.shaping) goes in as it is; DRF's renderer, where it is used,
  decodes it first;
- anything orjson refuses (integers beyond 64 bits, strings that are not
  valid Unicode, nesting beyond 254 levels, keys that are not strings) and
  every indented rendering (the browsable API, `; indent=` in Accept) is
  left to DRF's renderer.

Floats are the one difference left (orjson writes 1e16 where the json
module writes 1e+16, and null for NaN where DRF refuses it): the API's
bodies carry none.
"""

import orjson
from rest_framework import renderers
from rest_framework.settings import api_settings
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


class FragmentEncoder(JSONEncoder):
    """DRF's encoder, decoding JSON already written (orjson.Fragment) to encode it again."""

    def default(self, obj):
        if type(obj) is orjson.Fragment:
            return orjson.loads(orjson.dumps(obj))
        return super().default(obj)


_DRF_DEFAULT = FragmentEncoder().default


_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class JSONRenderer(renderers.JSONRenderer):
    """Render JSON as DRF's JSONRenderer does, encoded by orjson."""

    encoder_class = FragmentEncoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if (
            data is None
            or self.encoder_class is not FragmentEncoder
            or not (api_settings.COMPACT_JSON and api_settings.UNICODE_JSON)
            or self.get_indent(accepted_media_type, renderer_context or {}) is not None
        ):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            out = orjson.dumps(data, default=_DRF_DEFAULT, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _LINE_SEPARATOR in out:
            out = out.replace(_LINE_SEPARATOR, b"\\u2028")
        if _PARAGRAPH_SEPARATOR in out:
            out = out.replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
        return out
