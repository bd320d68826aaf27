"""The audit table is append-only: a trigger refuses UPDATE and DELETE (PostgreSQL, SQLite).

TRUNCATE is left to privileges (the application's database role should not own the table in
production; see README): a TRUNCATE trigger would also stop the test database flushes.
"""

from django.db import migrations

POSTGRES_CREATE = """
CREATE OR REPLACE FUNCTION workflow_auditevent_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'workflow_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER workflow_auditevent_append_only
    BEFORE UPDATE OR DELETE ON workflow_auditevent
    FOR EACH ROW EXECUTE FUNCTION workflow_auditevent_refuse_change();
"""
POSTGRES_DROP = """
DROP TRIGGER IF EXISTS workflow_auditevent_append_only ON workflow_auditevent;
DROP FUNCTION IF EXISTS workflow_auditevent_refuse_change();
"""
SQLITE_CREATE = [
    """CREATE TRIGGER workflow_auditevent_no_update BEFORE UPDATE ON workflow_auditevent
       BEGIN SELECT RAISE(ABORT, 'workflow_auditevent is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER workflow_auditevent_no_delete BEFORE DELETE ON workflow_auditevent
       BEGIN SELECT RAISE(ABORT, 'workflow_auditevent is append-only: DELETE refused'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS workflow_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS workflow_auditevent_no_delete;",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_CREATE, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
