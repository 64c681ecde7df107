"""SQL written by hand into the ORM's queries, at less CPU per request than Django's own.

The lists select a few SQL expressions per request (a page's total, the
locks, the current session, the objects as JSON). Two of Django's steps
cost more than building them:

- An expression's identity, which the compiler hashes for every selected
  expression, binds the arguments of its constructor with
  inspect.signature(), once per expression built: several microseconds.
  SQL's identity is what Django would compute for it, from its SQL,
  parameters and output field's class, at the cost of a tuple.
- A value whose output field is an integer is passed through int() on every
  row, even though the driver already returns an int. `as_read=True` keeps
  the values as read: for SQL whose values are ints already (a count cast to
  bigint), read from one row of a page.

A list's queryset is the same on every request but for a few values (the
owner, the time, the caller's session), and building it (every filter()
and annotate() clones the query and resolves its expressions) cost a
session or event list as much CPU as running its page's query and reading
the rows (bench/profile_inprocess.py). So such a queryset is built once
with a Param in place of each value, and each request takes a copy with its
own values (bind()). Django has no parameters of this kind; the values are
put in when SQL is compiled, from the query being compiled, whose copies
(clone(), a subquery for a count) carry them along.
"""

from django.db.models import BooleanField, IntegerField, TextField
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property
from django.utils.hashable import make_hashable


class Param:
    """A parameter of SQL whose value each copy of a query gets from bind()."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"Param({self.name!r})"


def bind(queryset, **values):
    """A copy of `queryset` whose SQL takes `values` for the Params of those names."""
    copy = queryset.all()
    copy.query.bindings = values
    return copy


class SQL(RawSQL):
    """Django's RawSQL, its identity computed directly, its Params bound; see the module's
    docstring."""

    def __init__(self, sql, params, output_field=None, *, as_read=False):
        super().__init__(sql, params, output_field)
        # Attributes of its own, unlike convert_value (a cached property,
        # which Django drops from every copy of an expression).
        self.as_read = as_read
        self.takes_bindings = any(type(param) is Param for param in params)

    def as_sql(self, compiler, connection):
        sql, params = super().as_sql(compiler, connection)
        if self.takes_bindings:
            bindings = compiler.query.bindings
            params = [bindings[param.name] if type(param) is Param else param for param in params]
        return sql, params

    def get_db_converters(self, connection):
        if self.as_read:
            return self.output_field.get_db_converters(connection)
        return super().get_db_converters(connection)

    @cached_property
    def identity(self):
        return (type(self), self.sql, make_hashable(self.params), type(self.output_field))


# Output fields for SQL, one instance each, shared as Django's own aggregates
# share theirs (Count.output_field): building a Field costs several microseconds.
BOOLEAN = BooleanField()
INTEGER = IntegerField()
TEXT = TextField()
