"""Create the first admin: an ADMIN-role superuser who owns the installation.

Shaped like Django's createsuperuser: it prompts for each field and checks
the answer at once (format, length, a username or email taken in any letter
case), asking again with an "Error: ..." line until it is right; then the
password twice, hidden, through the password validators. With --noinput it
reads DJANGO_ADMIN_* environment variables and runs the same checks. Prompting
needs a terminal: without one, and without --noinput, it stops with exit
status 1 instead of failing on end of input. Nothing is written until every
value passes.
"""

import getpass
import os
import sys

from django.contrib.auth import password_validation
from django.core import exceptions
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User

FIELDS = ("username", "email", "first_name", "last_name")
REQUIRED = ("username", "email")
NOT_A_TERMINAL = (
    "createadmin prompts on a terminal, and standard input is not one. Run it "
    "in a terminal, or use --noinput with DJANGO_ADMIN_USERNAME, "
    "DJANGO_ADMIN_EMAIL and DJANGO_ADMIN_PASSWORD set."
)


class Command(BaseCommand):
    help = "Create an ADMIN-role superuser (the first admin)."
    # As in createsuperuser: call_command(stdin=...) stands in for the terminal in tests.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        for field in FIELDS:
            parser.add_argument(f"--{field.replace('_', '-')}", dest=field)
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Read missing values, and the password, from DJANGO_ADMIN_* variables.",
        )

    def handle(self, *args, interactive, **options):
        values = {field: options[field] for field in FIELDS}
        if interactive:
            values = self._prompt(values, options.get("stdin", sys.stdin))
        else:
            values = self._from_environment(values)
        try:
            user = services.admin_create(**values)
        except exceptions.ValidationError as exc:  # taken meanwhile by someone else
            raise CommandError(" ".join(exc.messages)) from None
        self.stdout.write(f"Admin {user.username!r} created.")

    def _from_environment(self, values):
        for field in (*FIELDS, "password"):
            if not values.get(field):
                values[field] = os.environ.get(f"DJANGO_ADMIN_{field.upper()}", "")
        missing = [f for f in (*REQUIRED, "password") if not values[f]]
        if missing:
            names = ", ".join(f"DJANGO_ADMIN_{f.upper()}" for f in missing)
            raise CommandError(f"You must set {names} when using --noinput.")
        errors = [message for field in FIELDS for message in _check(field, values)]
        errors += _password_errors(values["password"], values)
        if errors:
            raise CommandError(" ".join(errors))
        return values

    def _prompt(self, values, stdin):
        if not (hasattr(stdin, "isatty") and stdin.isatty()):
            raise CommandError(NOT_A_TERMINAL)
        try:
            for field in FIELDS:
                self._prompt_field(field, values)
            values["password"] = self._prompt_password(values)
        except (KeyboardInterrupt, EOFError):
            raise CommandError("Operation cancelled.") from None
        return values

    def _prompt_field(self, field, values):
        """Ask until the answer passes (an option's value is checked the same way)."""
        label = User._meta.get_field(field).verbose_name.capitalize()
        while True:
            if values.get(field) is None:
                values[field] = input(f"{label}: ").strip()
            errors = _check(field, values)
            if not errors:
                return
            self._errors(errors)
            values[field] = None

    def _prompt_password(self, values):
        while True:
            password = getpass.getpass()
            if password != getpass.getpass("Password (again): "):
                self._errors(["Your passwords didn't match."])
            elif not password.strip():
                self._errors(["Blank passwords aren't allowed."])
            elif errors := _password_errors(password, values):
                self._errors(errors)
            else:
                return password

    def _errors(self, messages):
        for message in messages:
            self.stderr.write(f"Error: {message}")


def _check(field, values):
    """Return what is wrong with values[field]: the model field's checks, then uniqueness."""
    raw = values.get(field) or ""
    if field == "username":
        raw = User.normalize_username(raw)
    elif field == "email":
        raw = User.objects.normalize_email(raw)
    try:
        values[field] = User._meta.get_field(field).clean(raw, None)
    except exceptions.ValidationError as exc:
        return exc.messages
    if field in REQUIRED and User.objects.filter(**{f"{field}__iexact": raw}).exists():
        return [f"A user with that {field} already exists."]
    return []


def _password_errors(password, values):
    identity = {field: values[field] for field in FIELDS if values.get(field)}
    try:
        password_validation.validate_password(password, User(**identity))
    except exceptions.ValidationError as exc:
        return exc.messages
    return []
