"""The one way to lock rows outside a document's own write (which ``workflow.engine`` locks):
deliveries a worker claims, the organisation record a write changes, and the documents a
composite action reads its decision from (``lock_documents``, before it checks).

Every lock goes through ``lock_rows`` so that it is always taken inside a transaction (a lock
outside one is released at once, which would look like protection and be none) and always the
same way: the rows of the queryset's own table, in primary-key order, so that two writers that
lock overlapping sets cannot deadlock.
"""

from __future__ import annotations

from django.db import router, transaction
from django.db.models import QuerySet


class LockOutsideTransaction(RuntimeError):
    pass


def lock_rows(queryset: QuerySet, *, skip_locked: bool = False) -> QuerySet:
    """``queryset`` locked FOR UPDATE (its own table's rows, by key order); with
    ``skip_locked``, rows another transaction holds are left out (a worker's claim)."""
    if not transaction.get_connection(queryset.db).in_atomic_block:
        raise LockOutsideTransaction("lock_rows() must run inside transaction.atomic()")
    return queryset.select_for_update(skip_locked=skip_locked, of=("self",)).order_by("pk")


def lock_documents(*documents) -> list:
    """Lock documents of any flows before a composite action checks what it reads from them: in
    one fixed order, so two composite actions that lock overlapping documents cannot deadlock.

    The order is ``(lock_level, document_type, pk)``: a flow's ``lock_level`` (0 unless it says)
    puts the wider document before the documents that depend on it (a unit's review before its
    assessments, an assessment before its objection); documents of one level go by type, then
    key. Each is locked through its flow's own lock query (the engine's, so a later ``perform``
    or ``edit`` of the same document in this transaction finds the lock held). Returns the
    locked copies in the order given."""
    if not documents:
        return []
    model = type(documents[0])
    if not transaction.get_connection(router.db_for_write(model)).in_atomic_block:
        raise LockOutsideTransaction("lock_documents() must run inside transaction.atomic()")
    locked = {}
    for document in sorted(documents, key=lock_order):
        key = (document.document_type, document.pk)
        if key not in locked:
            locked[key], _rows = document.flow_class.lock(document.pk)
    return [locked[(document.document_type, document.pk)] for document in documents]


def lock_order(document) -> tuple[int, str, int]:
    """Where ``document`` comes in the one order every composite action locks in."""
    return (getattr(document.flow_class, "lock_level", 0), document.document_type, document.pk)
