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
"""

from django.db.models import BooleanField, IntegerField, TextField
from django.db.models.expressions import RawSQL
from django.utils.functional import cached_property
from django.utils.hashable import make_hashable


class SQL(RawSQL):
    """Django's RawSQL, its identity computed directly; see the module's docstring."""

    def __init__(self, sql, params, output_field=None, *, as_read=False):
        super().__init__(sql, params, output_field)
        # An attribute of its own, unlike convert_value (a cached property,
        # which Django drops from every copy of an expression).
        self.as_read = as_read

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
