"""accounts.expressions: values read as the driver reads them (as_read), Params bound."""

import pytest
from django.db import connection
from django.db.models import IntegerField

from accounts.expressions import BOOLEAN, INTEGER, SQL, Param, bind
from accounts.models import User
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _converters(expression):
    resolved = expression.resolve_expression(User.objects.all().query)  # a copy, as the ORM makes
    return resolved.get_db_converters(connection)


def test_a_value_read_as_the_driver_reads_it_has_no_converter_in_a_query():
    assert _converters(SQL("COUNT(*) OVER ()", [], IntegerField(), as_read=True)) == []


def test_an_integer_value_is_otherwise_converted_as_django_converts_it():
    assert len(_converters(SQL("COUNT(*) OVER ()", [], IntegerField()))) == 1


def _user_of_id():
    """A template: the user whose id is the Param `id`."""
    column = f'"{User._meta.db_table}"."{User._meta.pk.column}"'
    return User.objects.filter(SQL(f"{column} = %s", [Param("id")], BOOLEAN))


def test_each_bound_copy_of_a_template_runs_with_its_own_values():
    first, second = UserFactory(), UserFactory()
    template = _user_of_id()
    of_first, of_second = bind(template, id=first.pk), bind(template, id=second.pk)
    assert list(of_second) == [second]
    assert list(of_first) == [first]


def test_a_copy_of_a_bound_queryset_keeps_its_values():
    user = UserFactory(username="kept")
    bound = bind(_user_of_id(), id=user.pk)
    assert list(bound.filter(username="kept").order_by("pk")) == [user]
    assert not bound.exclude(pk=user.pk).exists()


def test_a_count_of_an_annotated_bound_queryset_reads_its_values():
    user = UserFactory()
    template = _user_of_id().annotate(twice=SQL("%s * 2", [Param("id")], INTEGER))
    bound = bind(template, id=user.pk)
    assert bound.count() == 1  # counted over a subquery, a copy of the query
    assert bound.values_list("twice", flat=True).get() == user.pk * 2


def test_binding_leaves_the_template_without_values():
    template = _user_of_id()
    bind(template, id=1)
    assert not hasattr(template.query, "bindings")
