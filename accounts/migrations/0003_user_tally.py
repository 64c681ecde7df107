"""UserTally, and the triggers that keep it: per-role, per-state account counts.

Triggers rather than code in accounts.services: they see every write to
accounts_user, bulk and raw SQL included, inside the writing transaction.

On PostgreSQL each INSERT, UPDATE or DELETE statement adds at most four
rows, one per role and state whose count it changed (a bulk load of a
million users adds one), and no writer waits for another: an insert takes
no lock that another insert needs. Every 64th tally row folds the table back
to one row per role and state, unless another transaction is folding it.
TRUNCATE empties it. SQLite lets one writer in at a time; its row triggers
keep one row per role and state. Other databases get no triggers, and
the account lists count rows there (accounts.pagination).
"""

from django.db import migrations, models

POSTGRESQL = [
    """
    CREATE FUNCTION accounts_usertally_add() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        fold boolean;
    BEGIN
        -- Each branch reads only the transition tables its trigger declares.
        IF TG_OP = 'INSERT' THEN
            WITH added AS (
                INSERT INTO accounts_usertally (role, is_active, users)
                SELECT role, is_active, count(*) FROM new_rows GROUP BY role, is_active
                RETURNING id
            ) SELECT bool_or(mod(id, 64) = 0) INTO fold FROM added;
        ELSIF TG_OP = 'DELETE' THEN
            WITH added AS (
                INSERT INTO accounts_usertally (role, is_active, users)
                SELECT role, is_active, -count(*) FROM old_rows GROUP BY role, is_active
                RETURNING id
            ) SELECT bool_or(mod(id, 64) = 0) INTO fold FROM added;
        ELSE
            WITH added AS (
                INSERT INTO accounts_usertally (role, is_active, users)
                SELECT role, is_active, sum(change) FROM (
                    SELECT role, is_active, 1 AS change FROM new_rows
                    UNION ALL
                    SELECT role, is_active, -1 FROM old_rows
                ) AS moved
                GROUP BY role, is_active HAVING sum(change) <> 0
                RETURNING id
            ) SELECT bool_or(mod(id, 64) = 0) INTO fold FROM added;
        END IF;
        -- The folding transaction deletes only rows committed before it (and
        -- its own); rows other writers add meanwhile stay, as they must.
        IF fold AND pg_try_advisory_xact_lock(hashtext('accounts_usertally')) THEN
            WITH gone AS (
                DELETE FROM accounts_usertally RETURNING role, is_active, users
            )
            INSERT INTO accounts_usertally (role, is_active, users)
            SELECT role, is_active, sum(users) FROM gone
            GROUP BY role, is_active HAVING sum(users) <> 0;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION accounts_usertally_clear() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM accounts_usertally;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER accounts_usertally_insert AFTER INSERT ON accounts_user
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_usertally_add()
    """,
    """
    CREATE TRIGGER accounts_usertally_delete AFTER DELETE ON accounts_user
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_usertally_add()
    """,
    # Every UPDATE, whichever columns it sets: PostgreSQL allows no column
    # list with transition tables. One that changes no role or state adds nothing.
    """
    CREATE TRIGGER accounts_usertally_update AFTER UPDATE ON accounts_user
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_usertally_add()
    """,
    # TRUNCATE fires no row or DELETE triggers.
    """
    CREATE TRIGGER accounts_usertally_truncate AFTER TRUNCATE ON accounts_user
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_usertally_clear()
    """,
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS accounts_usertally_insert ON accounts_user",
    "DROP TRIGGER IF EXISTS accounts_usertally_delete ON accounts_user",
    "DROP TRIGGER IF EXISTS accounts_usertally_update ON accounts_user",
    "DROP TRIGGER IF EXISTS accounts_usertally_truncate ON accounts_user",
    "DROP FUNCTION IF EXISTS accounts_usertally_add()",
    "DROP FUNCTION IF EXISTS accounts_usertally_clear()",
]

_SQLITE_ADD = """
    INSERT INTO accounts_usertally (role, is_active, users)
    SELECT {row}.role, {row}.is_active, 0 WHERE NOT EXISTS (
        SELECT 1 FROM accounts_usertally WHERE role = {row}.role AND is_active = {row}.is_active
    );
    UPDATE accounts_usertally SET users = users + {n}
    WHERE role = {row}.role AND is_active = {row}.is_active;
"""
SQLITE = [
    f"""
    CREATE TRIGGER accounts_usertally_insert AFTER INSERT ON accounts_user
    BEGIN {_SQLITE_ADD.format(row="NEW", n=1)} END
    """,
    f"""
    CREATE TRIGGER accounts_usertally_delete AFTER DELETE ON accounts_user
    BEGIN {_SQLITE_ADD.format(row="OLD", n=-1)} END
    """,
    f"""
    CREATE TRIGGER accounts_usertally_update AFTER UPDATE OF role, is_active ON accounts_user
    WHEN OLD.role IS NOT NEW.role OR OLD.is_active IS NOT NEW.is_active
    BEGIN {_SQLITE_ADD.format(row="OLD", n=-1)} {_SQLITE_ADD.format(row="NEW", n=1)} END
    """,
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS accounts_usertally_insert",
    "DROP TRIGGER IF EXISTS accounts_usertally_delete",
    "DROP TRIGGER IF EXISTS accounts_usertally_update",
]

# Run after the triggers exist, in the same transaction: on PostgreSQL,
# CREATE TRIGGER holds off other writers to accounts_user until the commit,
# so no write falls between this count and the first tallied one.
FILL = """
    INSERT INTO accounts_usertally (role, is_active, users)
    SELECT role, is_active, COUNT(*) FROM accounts_user GROUP BY role, is_active
"""


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor)
    if statements is None:
        return
    for statement in [*statements, FILL]:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_DROP, "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_admin_list_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="UserTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[("ADMIN", "Admin"), ("USER", "User")], max_length=5
                    ),
                ),
                ("is_active", models.BooleanField()),
                ("users", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
