"""The one way to lock rows outside a document's own write (which ``workflow.engine`` locks):
deliveries a worker claims, the organisation record a write changes.

Every lock goes through ``lock_rows`` so that it is always taken inside a transaction (a lock
outside one is released at once, which would look like protection and be none) and always the
same way: the rows of the queryset's own table, in primary-key order, so that two writers that
lock overlapping sets cannot deadlock.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet


class LockOutsideTransaction(RuntimeError):
    pass


def lock_rows(queryset: QuerySet, *, skip_locked: bool = False) -> QuerySet:
    """``queryset`` locked FOR UPDATE (its own table's rows, by key order); with
    ``skip_locked``, rows another transaction holds are left out (a worker's claim)."""
    if not transaction.get_connection(queryset.db).in_atomic_block:
        raise LockOutsideTransaction("lock_rows() must run inside transaction.atomic()")
    return queryset.select_for_update(skip_locked=skip_locked, of=("self",)).order_by("pk")
