"""What the plan and report services add to ``checks.Errors`` for the raw values they receive:
ids sent as numbers or as a form's digits, and text that PostgreSQL can store (no NUL)."""

from __future__ import annotations

from typing import Any

from .checks import Errors

MAX_ID = 2**63 - 1  # a bigint primary key: a larger number names no row (and would overflow a query)


def text(errors: Errors, field: str, value: Any, *, max_length: int, required: str | None = None) -> str:
    """``Errors.text`` (which also refuses a NUL character, as PostgreSQL does)."""
    return errors.text(field, value, max_length=max_length, required=required)


def reference(errors: Errors, field: str, value: Any, message: str) -> int | None:
    """An optional id: a positive number, or its digits as text (a form's field); None when not
    given; else ``message`` under ``field``."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 20:
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return value
    errors.add(field, message)
    return None
