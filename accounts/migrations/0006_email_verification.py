"""Email verification: `email_verified` and `pending_email` on every account.

Accounts that exist when this runs are marked verified: they were accepted
under rules that asked for no verification, and switching EMAIL_VERIFICATION
to `mandatory` later must not lock them out. Accounts created from here on
start unverified (the column's default, in Python and in the database).

The column is added by hand. On PostgreSQL, ADD COLUMN with the constant
DEFAULT true fills the existing rows as a change to the catalog only (no
table rewrite, no UPDATE of every row through the tally triggers), and the
default then becomes false. On SQLite, Django's own AddField would rebuild
the table for a NOT NULL column with a default, and a rebuilt table loses
the tally triggers of migration 0003; there the column comes with DEFAULT
false and one UPDATE marks the existing rows (the tally trigger watches only
role and is_active).
"""

from django.db import migrations, models

POSTGRESQL = [
    "ALTER TABLE accounts_user ADD COLUMN email_verified boolean DEFAULT true NOT NULL",
    "ALTER TABLE accounts_user ALTER COLUMN email_verified SET DEFAULT false",
]
SQLITE = [
    "ALTER TABLE accounts_user ADD COLUMN email_verified bool DEFAULT 0 NOT NULL",
    "UPDATE accounts_user SET email_verified = 1",
]


def add_email_verified(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in SQLITE if vendor == "sqlite" else POSTGRESQL:
        schema_editor.execute(statement)


def remove_email_verified(apps, schema_editor):
    schema_editor.execute("ALTER TABLE accounts_user DROP COLUMN email_verified")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_sessions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(add_email_verified, remove_email_verified),
            ],
            state_operations=[
                migrations.AddField(
                    model_name="user",
                    name="email_verified",
                    field=models.BooleanField(
                        db_default=False,
                        default=False,
                        help_text="The owner followed a verification link sent to this address.",
                        verbose_name="email verified",
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="user",
            name="pending_email",
            field=models.EmailField(
                blank=True,
                help_text="A new address waiting for its owner to follow the link sent there.",
                max_length=254,
                null=True,
                verbose_name="pending email address",
            ),
        ),
    ]
