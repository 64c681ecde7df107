import pytest
from rest_framework import serializers

from accounts.fields import StrictCharField, StrictEmailField

NOT_STRINGS = [0, 123, -1, 1.5, float("inf"), True, False, [], ["a"], {}, {"a": "b"}]


@pytest.mark.parametrize("field_class", [StrictCharField, StrictEmailField])
@pytest.mark.parametrize("value", NOT_STRINGS, ids=repr)
def test_anything_but_a_string_is_refused(field_class, value):
    with pytest.raises(serializers.ValidationError) as caught:
        field_class().run_validation(value)

    assert caught.value.detail == ["Not a valid string."]
    assert caught.value.detail[0].code == "not_a_string"


def test_a_string_is_taken_as_drf_takes_it():
    assert StrictCharField().run_validation("  padded  ") == "padded"
    assert StrictCharField(trim_whitespace=False).run_validation(" x ") == " x "


def test_the_email_field_still_checks_the_address():
    assert StrictEmailField().run_validation("a@example.com") == "a@example.com"
    with pytest.raises(serializers.ValidationError) as caught:
        StrictEmailField().run_validation("not-an-address")

    assert caught.value.detail == ["Enter a valid email address."]


def test_null_is_refused_unless_allowed():
    assert StrictCharField(allow_null=True).run_validation(None) is None
    with pytest.raises(serializers.ValidationError) as caught:
        StrictCharField().run_validation(None)

    assert caught.value.detail == ["This field may not be null."]
