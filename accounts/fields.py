"""Serializer fields that take JSON strings only.

DRF's CharField (and EmailField, built on it) turns a number into its text:
`{"username": 1e400}` would register the username "inf", and `123` the
username "123". A client that sends a number where the contract says string
has a bug worth telling it about, so these fields refuse anything but a
string with a 400 on that field. Form bodies carry only strings, so the
reset page's form is unaffected. Every input field of the serializers in `accounts`
that takes text is one of these.
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """DRF's CharField, refusing numbers, booleans, lists and objects."""

    default_error_messages = {"not_a_string": _("Not a valid string.")}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictEmailField(StrictCharField, serializers.EmailField):
    """DRF's EmailField, refusing anything but a string."""
