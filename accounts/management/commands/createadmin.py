"""Create the first admin: an ADMIN-role superuser who owns the installation.

Shaped like Django's createsuperuser: it prompts for what is missing (the
password twice, hidden, through the password validators), or with --noinput
reads DJANGO_ADMIN_* environment variables. Bad input is a CommandError with
a clear message and writes nothing.
"""

import getpass
import os

from django.contrib.auth import password_validation
from django.core import exceptions
from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.models import User

FIELDS = ("username", "email", "first_name", "last_name")
REQUIRED = ("username", "email")


class Command(BaseCommand):
    help = "Create an ADMIN-role superuser (the first admin)."

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
        values = self._prompt(values) if interactive else self._from_environment(values)
        try:
            user = services.admin_create(**values)
        except exceptions.ValidationError as exc:
            raise CommandError(_describe(exc)) from None
        self.stdout.write(f"Admin {user.username!r} created.")

    def _from_environment(self, values):
        for field in (*FIELDS, "password"):
            if not values.get(field):
                values[field] = os.environ.get(f"DJANGO_ADMIN_{field.upper()}", "")
        missing = [f for f in (*REQUIRED, "password") if not values[f]]
        if missing:
            names = ", ".join(f"DJANGO_ADMIN_{f.upper()}" for f in missing)
            raise CommandError(f"You must set {names} when using --noinput.")
        self._validate(values)
        return values

    def _prompt(self, values):
        try:
            for field in FIELDS:
                while not values.get(field):
                    values[field] = input(
                        f"{User._meta.get_field(field).verbose_name.capitalize()}: "
                    ).strip()
                    if field not in REQUIRED:
                        break
            values["password"] = self._prompt_password(values)
        except KeyboardInterrupt:
            raise CommandError("Operation cancelled.") from None
        self._validate(values)
        return values

    def _prompt_password(self, values):
        while True:
            password = getpass.getpass()
            if password != getpass.getpass("Password (again): "):
                self.stderr.write("Error: Your passwords didn't match.")
                continue
            try:
                password_validation.validate_password(password, User(**_identity(values)))
            except exceptions.ValidationError as exc:
                self.stderr.write("\n".join(exc.messages))
                continue
            return password

    def _validate(self, values):
        """Check what the database would refuse, before anything is written."""
        errors = []
        for field in REQUIRED:
            if User.objects.filter(**{f"{field}__iexact": values[field]}).exists():
                errors.append(f"A user with that {field} already exists.")
        try:
            password_validation.validate_password(values["password"], User(**_identity(values)))
        except exceptions.ValidationError as exc:
            errors.extend(exc.messages)
        if errors:
            raise CommandError(" ".join(errors))


def _identity(values):
    return {field: values[field] for field in FIELDS if values.get(field)}


def _describe(exc):
    return " ".join(
        f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
        for field, messages in exc.message_dict.items()
    )
