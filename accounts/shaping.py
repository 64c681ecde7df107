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
columns the objects show, and no model instances to build. The serializer
stays the one definition of the objects' shape and of their schema.
Tests compare the output with DRF's own.
"""

import datetime
import functools

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.settings import api_settings

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
    """`queryset` as rows of just what `serializer_class` shows, where its fields allow."""
    names = columns(serializer_class, queryset)
    return queryset if names is None else queryset.values(*names)


def shape(serializer, rows):
    """Return [what `serializer`'s fields make of each row], as DRF's ListSerializer does.

    Rows are model instances, or dicts of columns() from QuerySet.values();
    anything else is left to DRF.
    """
    rows = list(rows)
    if not rows:
        return []
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
