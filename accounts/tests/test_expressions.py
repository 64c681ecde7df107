"""accounts.expressions: values read as the driver reads them (as_read)."""

import pytest
from django.db import connection
from django.db.models import IntegerField

from accounts.expressions import SQL
from accounts.models import User

pytestmark = pytest.mark.django_db


def _converters(expression):
    resolved = expression.resolve_expression(User.objects.all().query)  # a copy, as the ORM makes
    return resolved.get_db_converters(connection)


def test_a_value_read_as_the_driver_reads_it_has_no_converter_in_a_query():
    assert _converters(SQL("COUNT(*) OVER ()", [], IntegerField(), as_read=True)) == []


def test_an_integer_value_is_otherwise_converted_as_django_converts_it():
    assert len(_converters(SQL("COUNT(*) OVER ()", [], IntegerField()))) == 1
