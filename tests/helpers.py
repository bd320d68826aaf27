"""Test-only helpers that reach below the product's guarantees (to prove they hold)."""

from contextlib import contextmanager
from importlib import import_module

from django.db import connection

_triggers = import_module("workflow.migrations.0002_audit_append_only")


@contextmanager
def audit_trigger_disabled():
    """Drop the audit table's append-only trigger for the block (inside the test's transaction),
    so that a test can tamper with events the way someone with database access could."""
    with connection.cursor() as cursor:
        statements = _triggers.SQLITE_DROP if connection.vendor == "sqlite" else [_triggers.POSTGRES_DROP]
        for statement in statements:
            cursor.execute(statement)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            statements = _triggers.SQLITE_CREATE if connection.vendor == "sqlite" else [_triggers.POSTGRES_CREATE]
            for statement in statements:
                cursor.execute(statement)
