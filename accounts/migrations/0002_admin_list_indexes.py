"""Indexes for the admin list: its filters, orderings and substring search.

The btree indexes are declared on the model. The trigram indexes exist only
on PostgreSQL: Django's `icontains` there compiles to
`UPPER(col::text) LIKE UPPER('%term%')`, which a GIN index with pg_trgm's
gin_trgm_ops on that same expression serves. SQLite has no such index type;
these operations do nothing there and search falls back to a scan.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

SEARCH_COLUMNS = ("username", "email", "first_name", "last_name")


def _trigram_index(column):
    return f"accounts_user_{column}_trgm"


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {_trigram_index(column)} ON accounts_user "
            f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCH_COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS {_trigram_index(column)}")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        # CREATE EXTENSION IF NOT EXISTS pg_trgm; a no-op on other databases.
        TrigramExtension(),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["role", "id"], name="accounts_user_role_id_idx"),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["is_active", "id"], name="accounts_user_active_id_idx"),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["created_at", "id"], name="accounts_user_created_id_idx"),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["last_login", "id"], name="accounts_user_login_id_idx"),
        ),
        migrations.AddIndex(
            model_name="user",
            index=models.Index(fields=["email", "id"], name="accounts_user_email_id_idx"),
        ),
    ]
