"""Open tasks of a document as the engine keeps them: rows from the flow's task specs, and the
reconciliation that keeps a task which a transition leaves unchanged.

A task is the same task when its role, assignee, position and actions are the same: it keeps its
row and so its due, remind and escalate times (and whether it was reminded). Only tasks that
really change are closed and opened, so an unrelated step (the rater explains an objection) does
not slide the deadline of the task that waits on someone else (the superior's decision).
"""

from __future__ import annotations

import json
from collections import Counter

from django.db import connections

from .flows import TaskSpec
from .models import OpenTask


def open_rows_query(document_type: str, document_id: int, *, using: str = "default") -> tuple[str, list]:
    """The SQL of a document's open tasks as (id, role, assignee, position, actions): read with
    the document's lock, in the same round trip."""
    connection = connections[using]
    quote = connection.ops.quote_name
    meta = OpenTask._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in ("id", "role", "assignee", "position", "actions"))
    return (
        f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote('document_type')} = %s AND "
        f"{quote('document_id')} = %s AND {quote('closed_at')} IS NULL ORDER BY {quote('id')}",
        [document_type, document_id],
    )


def task_key(role: str, assignee_id, position_id, actions) -> tuple:
    if isinstance(actions, str):  # a JSON column read as text (SQLite, psycopg's jsonb as text)
        actions = json.loads(actions)
    return role, assignee_id, position_id, tuple(sorted(actions))


def reconcile(open_rows, specs: list[TaskSpec]) -> tuple[list[int], list[TaskSpec]]:
    """Which open tasks to close (their ids) and which specs to open, keeping every open task
    that a spec asks for again unchanged."""
    wanted = Counter(task_key(s.role, s.assignee_id, s.position_id, s.actions) for s in specs)
    to_close = []
    for task_id, role, assignee_id, position_id, actions in open_rows:
        key = task_key(role, assignee_id, position_id, actions)
        if wanted[key] > 0:
            wanted[key] -= 1  # kept as it is, with its deadlines
        else:
            to_close.append(task_id)
    to_open = []
    for spec in specs:
        key = task_key(spec.role, spec.assignee_id, spec.position_id, spec.actions)
        if wanted[key] > 0:
            wanted[key] -= 1
            to_open.append(spec)
    return to_close, to_open


def task_rows(document_type: str, document_id: int, specs) -> list[OpenTask]:
    """Unsaved open tasks of a document from the flow's task specs."""
    return [
        OpenTask(
            document_type=document_type,
            document_id=document_id,
            role=spec.role,
            actions=spec.actions,
            assignee_id=spec.assignee_id,
            position_id=spec.position_id,
            unit_id=spec.unit_id,
            due_at=spec.due_at,
            remind_at=spec.remind_at,
            escalate_at=spec.escalate_at,
        )
        for spec in specs
    ]
