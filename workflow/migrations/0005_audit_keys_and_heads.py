"""The audit key's id on each event, the heads of record chains and their tallies.

Adding a column with a default makes Django rebuild the table on SQLite, which drops its
triggers: the append-only ones are put back at the end (PostgreSQL alters the table in place).
"""

from importlib import import_module

from django.db import migrations, models

_append_only = import_module("workflow.migrations.0002_audit_append_only")


def restore_sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _append_only.SQLITE_CREATE:
            schema_editor.execute(statement.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS", 1))


class Migration(migrations.Migration):

    dependencies = [
        ('workflow', '0004_bench_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditTally',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('document_type', models.CharField(max_length=50, unique=True)),
                ('chains', models.PositiveBigIntegerField(default=0)),
                ('anchor', models.CharField(blank=True, max_length=80)),
            ],
        ),
        migrations.AddField(
            model_name='auditevent',
            name='key_id',
            field=models.CharField(blank=True, db_default='', default='', help_text='the audit key that signed it', max_length=16),
        ),
        migrations.CreateModel(
            name='AuditHead',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('document_type', models.CharField(max_length=50)),
                ('document_id', models.BigIntegerField()),
                ('seq', models.PositiveIntegerField()),
                ('last', models.CharField(max_length=64)),
                ('anchor', models.CharField(max_length=80)),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('document_type', 'document_id'), name='audit_head_unique')],
            },
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
    ]
