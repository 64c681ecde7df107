"""Lists of objects shaped by their serializer's own fields, for less CPU per item.

For every item and field, DRF's Serializer.to_representation() calls the
field's get_attribute(), checks for None and calls to_representation(), and
every DateTimeField looks the current time zone up again: in profiles of the
admin user list, most of the CPU of a page of 100. shape() gives the same
output from the same fields with less work per item:

- A *plain* field (one attribute as its source, of a class below whose
  to_representation() depends on the value alone, neither method
  overridden) is read straight from the item. A value that its
  to_representation() returns unchanged (a str for a CharField, an int for an
  IntegerField, a bool for a BooleanField, one of its own choices for a
  ChoiceField) is kept; an aware datetime in a default DateTimeField (ISO
  8601, the current time zone) is formatted as DRF's DateTimeField does,
  the zone looked up once per list; other values go through the field's
  to_representation(). These fields are those of one serializer instance,
  built once and shared by every request and thread, as a ListSerializer's
  one child serves every item: they read no context and keep no state.
- Any other field (a method field, a nested serializer, a dotted source)
  is left to DRF's own steps, with the request's bound field and context.

When every field is plain (or reads an annotation of the queryset),
`columns()` names what they read, so a list can fetch rows as dicts
(QuerySet.values(), see rows()) instead of model instances: only the
columns the objects show, and no model instances to build. On PostgreSQL,
rows() goes one step further where every field allows it (see
object_sql()): the database writes each object as JSON text, the bytes
the renderer would write, so a row costs Python one string (an
orjson.Fragment) instead of a dict, its values and their conversions. The serializer stays
the one definition of the objects' shape and of their schema. Tests compare
the output with DRF's own, on both databases.
"""

import datetime
import functools
import re

import orjson
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models
from django.db.models.expressions import RawSQL
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

from accounts.expressions import SQL, TEXT

# DRF's own to_representation() of these classes depends on the value alone.
_PLAIN_FIELD_CLASSES = (
    serializers.IntegerField,
    serializers.CharField,
    serializers.BooleanField,
    serializers.ChoiceField,
    serializers.DateTimeField,
)
# Time zone names of UTC itself.
_UTC_KEYS = {"UTC", "Etc/UTC"}
# The type of value each one's to_representation() returns unchanged.
_KEPT = {
    serializers.IntegerField.to_representation: int,
    serializers.CharField.to_representation: str,
    serializers.BooleanField.to_representation: bool,
}
# The annotation rows() gives each row on PostgreSQL: its object as JSON text.
OBJECT_JSON = "object_json"


def written(rows, **last):
    """The objects the database wrote (rows of rows()) for the renderer, with `last` added at
    the end of each: orjson.Fragment, which orjson writes as it is (project.renderers)."""
    if not last:
        return [orjson.Fragment(row[OBJECT_JSON]) for row in rows]
    tail = orjson.dumps(last)[1:].decode()
    return [orjson.Fragment(row[OBJECT_JSON][:-1] + "," + tail) for row in rows]


def is_written(row):
    """Whether `row` is one of rows() with its object written by the database."""
    return isinstance(row, dict) and OBJECT_JSON in row


def as_dicts(items):
    """`items` of shape() as dicts, for code that reads their values."""
    return [
        orjson.loads(orjson.dumps(item)) if type(item) is orjson.Fragment else item
        for item in items
    ]


class ShapedListSerializer(serializers.ListSerializer):
    """DRF's ListSerializer, its items shaped by shape(): set it as Meta.list_serializer_class."""

    def to_representation(self, data):
        rows = data.all() if isinstance(data, models.manager.BaseManager) else data
        return shape(self.child, rows)


@functools.cache
def _shared_fields(serializer_class):
    """The readable fields of one instance of `serializer_class`, built once."""
    return list(serializer_class()._readable_fields)


@functools.cache
def _is_plain(field, model):
    """Whether `field` reads one attribute of `model` (dict rows: None) as a plain value."""
    cls = type(field)
    if (
        len(field.source_attrs) != 1
        or cls.get_attribute is not serializers.Field.get_attribute
        or not any(cls.to_representation is base.to_representation for base in _PLAIN_FIELD_CLASSES)
    ):
        return False
    if model is None:
        return True
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return False  # a property or a method: DRF would call a method
    # A foreign key's own column (`actor_id`) is plain; the related object is not.
    return model_field.concrete and (
        not model_field.is_relation or field.source == model_field.attname != model_field.name
    )


def columns(serializer_class, queryset):
    """The columns and annotations of `queryset` that `serializer_class` shows, for
    QuerySet.values(); None if not all of its fields are plain."""
    annotations = queryset.query.annotations
    fields = _shared_fields(serializer_class)
    if not all(
        _is_plain(field, None) if field.source in annotations else _is_plain(field, queryset.model)
        for field in fields
    ):
        return None
    return [field.source for field in fields]


def rows(queryset, serializer_class):
    """`queryset` as rows of just what `serializer_class` shows, where its fields allow:
    its objects as JSON text (OBJECT_JSON) on PostgreSQL, else the columns they show."""
    names = columns(serializer_class, queryset)
    if names is None:
        return queryset
    sql = object_sql(serializer_class, queryset)
    if sql is None:
        return queryset.values(*names)
    return queryset.annotate(**{OBJECT_JSON: sql}).values(OBJECT_JSON)


def shape(serializer, rows):
    """Return [what `serializer`'s fields make of each row], as DRF's ListSerializer does.

    Rows are model instances, or dicts of columns() from QuerySet.values();
    anything else is left to DRF.
    """
    rows = list(rows)
    if not rows:
        return []
    if is_written(rows[0]):
        return written(rows)
    if isinstance(rows[0], dict):
        model = None
    elif isinstance(rows[0], models.Model):
        model = rows[0].__class__  # type() would be a lazy object's (request.user)
    else:
        return [serializer.to_representation(row) for row in rows]
    time_zone = timezone.get_current_timezone() if settings.USE_TZ else None
    shapers = [
        shaper if shaper[1] is not None else (*shaper[:4], serializer.fields[shaper[0]], None)
        for shaper in _shapers(type(serializer), model, time_zone)
    ]
    out = []
    for row in rows:
        # A model instance's loaded fields are in its __dict__, by attname.
        values = row if model is None else row.__dict__
        item = {}
        for name, source, kind, only, shaper, iso_zone in shapers:
            if source is None:  # DRF's own steps, with the bound field
                try:
                    attribute = shaper.get_attribute(row)
                except SkipField:
                    continue
                check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                item[name] = None if check is None else shaper.to_representation(attribute)
                continue
            try:
                value = values[source]
            except KeyError:  # a deferred field: the model loads it
                value = getattr(row, source)
            if value is None or (type(value) is kind and (only is None or value in only)):
                item[name] = value
            elif (
                iso_zone is datetime.UTC
                and type(value) is datetime.datetime
                and value.tzinfo is iso_zone
            ):
                # What the database's values are: isoformat() ends in "+00:00".
                item[name] = value.isoformat()[:-6] + "Z"
            elif (
                iso_zone is not None
                and type(value) is datetime.datetime
                and value.utcoffset() is not None
            ):
                # DRF's DateTimeField.to_representation() of an aware datetime.
                try:
                    text = value.astimezone(iso_zone).isoformat()
                except OverflowError:
                    text = shaper(value)  # DRF's own error
                item[name] = text[:-6] + "Z" if text.endswith("+00:00") else text
            else:
                item[name] = shaper(value)
        out.append(item)
    return out


@functools.cache
def _shapers(serializer_class, model, time_zone):
    """_shaper() of each plain field; (name, None, ...) for the others."""
    return [
        _shaper(field, time_zone) if _is_plain(field, model) else (field.field_name, *[None] * 5)
        for field in _shared_fields(serializer_class)
    ]


def _shaper(field, time_zone):
    """Return (name, source, kind, only, shaper, iso_zone) for a plain field: values of type
    `kind` (and in `only`, unless it is None) are kept as they are, aware datetimes formatted
    in `iso_zone` when it is not None, others shaped by `shaper`."""
    to_representation = type(field).to_representation
    kind, only, iso_zone = _KEPT.get(to_representation), None, None
    if to_representation is serializers.ChoiceField.to_representation:
        kind = str
        only = {v for k, v in field.choice_strings_to_values.items() if k == v}
    elif (
        to_representation is serializers.DateTimeField.to_representation
        and time_zone is not None
        and getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        and getattr(field, "timezone", None) is None
    ):
        # Django's UTC is a ZoneInfo; the database's values carry
        # datetime.UTC, which astimezone(datetime.UTC) returns as they are.
        iso_zone = datetime.UTC if getattr(time_zone, "key", None) in _UTC_KEYS else time_zone
    return field.field_name, field.source, kind, only, field.to_representation, iso_zone


# JSON values in PostgreSQL's SQL, by the kind of value a plain field keeps ({} is the
# column), each what the renderer writes for the value shape() gives: to_json() escapes
# strings as the json module does (U+2028 and U+2029 are escaped by the renderer, after).
_JSON_SQL = {
    int: "COALESCE(({})::text, 'null')",
    str: "COALESCE(to_json({})::text, 'null')",
    bool: "COALESCE(({})::text, 'null')",
    # isoformat() in UTC: microseconds only when there are any, "Z" for "+00:00".
    datetime.datetime: (
        "COALESCE('\"' || replace(to_char({} AT TIME ZONE 'UTC',"
        " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), '.000000Z', 'Z') || '\"', 'null')"
    ),
}
# The model fields whose values each kind's SQL above writes as shape() does.
_JSON_TYPES = {
    int: {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveBigIntegerField",
        "PositiveSmallIntegerField",
    },
    # GenericIPAddressField: to_json() writes the inet's text, as psycopg reads it.
    str: {"CharField", "TextField", "EmailField", "SlugField", "GenericIPAddressField"},
    bool: {"BooleanField"},
    datetime.datetime: {"DateTimeField"},
}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# PostgreSQL's limit on a function's arguments (FUNC_MAX_ARGS).
_MAX_ARGUMENTS = 100


def object_sql(serializer_class, queryset):
    """Return an SQL expression of each row's object as the renderer would write it, or None.

    Only on PostgreSQL, when every field is plain (columns()), of a kind
    _JSON_SQL writes, and reads a column of the model or a RawSQL
    annotation; datetimes only in UTC. Written by hand: neither Django nor
    DRF has a way to have the database write a serializer's output, and
    PostgreSQL's own json_build_object() puts spaces in its JSON.
    """
    if connections[queryset.db].vendor != "postgresql" or not settings.USE_TZ:
        return None
    annotations = queryset.query.annotations
    raw = {}
    for field in _shared_fields(serializer_class):
        if field.source in annotations:
            raw[field.source] = annotation = annotations[field.source]
            if not isinstance(annotation, RawSQL):
                return None
    template = _object_template(
        serializer_class,
        queryset.model,
        timezone.get_current_timezone(),
        tuple(
            (source, annotation.sql, annotation.output_field.get_internal_type())
            for source, annotation in raw.items()
        ),
    )
    if template is None:
        return None
    sql, uses = template
    params = [param for source in uses for param in raw[source].params]
    return SQL(sql, params, output_field=TEXT)


@functools.cache
def _object_template(serializer_class, model, time_zone, annotations):
    """Return (SQL, the annotations in the order their SQL occurs) for object_sql(), or None.

    `annotations` are (name, SQL, internal type) of the RawSQL annotations the
    fields read. The SQL holds only names from the model's metadata and the
    serializer's field names (identifiers), the annotations' own SQL, and
    constants; values come as the annotations' parameters.
    """
    meta = model._meta
    annotated = {name: (sql, internal_type) for name, sql, internal_type in annotations}
    fields = _shared_fields(serializer_class)
    if 2 * len(fields) + 1 > _MAX_ARGUMENTS:
        return None
    parts, uses = [], []
    for field, (name, source, kind, only, _shaper, iso_zone) in zip(
        fields, _shapers(serializer_class, None, time_zone), strict=True
    ):
        if iso_zone is not None:
            kind = datetime.datetime if iso_zone is datetime.UTC else None
        if (
            kind not in _JSON_SQL
            or not _NAME.fullmatch(name)
            # A choice whose stored value is not its key would be shaped into the key.
            or (only is not None and len(only) != len(field.choice_strings_to_values))
        ):
            return None
        if source in annotated:
            column, internal_type = f"({annotated[source][0]})", annotated[source][1]
            uses.append(source)
        else:
            model_field = meta.get_field(source)
            column = f'"{meta.db_table}"."{model_field.column}"'
            if model_field.is_relation:
                model_field = model_field.target_field
            internal_type = model_field.get_internal_type()
        if internal_type not in _JSON_TYPES[kind]:
            return None
        key = ("{" if not parts else ",") + f'"{name}":'
        parts += [f"'{key}'", _JSON_SQL[kind].format(column)]
    # concat(): one string built, where || would copy the row's text at every step.
    return f"concat({', '.join(parts)}, '}}')", tuple(uses)
