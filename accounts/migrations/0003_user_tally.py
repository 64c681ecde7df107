"""UserTally, and the triggers that keep it: per-role, per-state account counts.

Triggers rather than code in accounts.services: they see every write to
accounts_user, bulk and raw SQL included, inside the writing transaction. On
PostgreSQL, inserts and deletes are tallied once per statement (a bulk load
of a million rows updates at most four tally rows), a change of role or
active flag once per changed row, and TRUNCATE empties the tallies. SQLite
has no TRUNCATE; its unqualified DELETE fires the row triggers. Other databases get no triggers, and
UserQuerySet.count() does not read the tallies there.
"""

from django.db import migrations, models

POSTGRESQL = [
    """
    CREATE FUNCTION accounts_usertally_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- TG_ARGV[0]: 1 for inserted rows, -1 for deleted ones. Ordered, so
        -- that concurrent writers lock the tally rows in the same order.
        INSERT INTO accounts_usertally AS t (role, is_active, users)
        SELECT role, is_active, TG_ARGV[0]::bigint * count(*) FROM changed
        GROUP BY role, is_active ORDER BY role, is_active
        ON CONFLICT (role, is_active) DO UPDATE SET users = t.users + excluded.users;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE FUNCTION accounts_usertally_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO accounts_usertally AS t (role, is_active, users)
        SELECT * FROM (
            VALUES (OLD.role, OLD.is_active, -1::bigint), (NEW.role, NEW.is_active, 1::bigint)
        ) AS moved (role, is_active, users)
        ORDER BY role, is_active
        ON CONFLICT (role, is_active) DO UPDATE SET users = t.users + excluded.users;
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
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_usertally_add('1')
    """,
    """
    CREATE TRIGGER accounts_usertally_delete AFTER DELETE ON accounts_user
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION accounts_usertally_add('-1')
    """,
    """
    CREATE TRIGGER accounts_usertally_update AFTER UPDATE OF role, is_active ON accounts_user
    FOR EACH ROW
    WHEN (OLD.role IS DISTINCT FROM NEW.role OR OLD.is_active IS DISTINCT FROM NEW.is_active)
    EXECUTE FUNCTION accounts_usertally_move()
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
    "DROP FUNCTION IF EXISTS accounts_usertally_move()",
    "DROP FUNCTION IF EXISTS accounts_usertally_clear()",
]

_SQLITE_ADD = """
    INSERT INTO accounts_usertally (role, is_active, users) VALUES ({row}.role, {row}.is_active, {n})
    ON CONFLICT (role, is_active) DO UPDATE SET users = users + excluded.users;
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
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("role", "is_active"), name="accounts_usertally_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
