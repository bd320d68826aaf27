"""Reads of open tasks: a person's inbox, including the tasks of positions they act for."""

from __future__ import annotations

from django.db.models import BooleanField, Case, Q, QuerySet, Value, When
from django.utils import timezone

from .models import OpenTask


def inbox_for_user(
    user, *, acting_position_ids: set[int] | frozenset = frozenset(), on_behalf_of_user_ids: set[int] | frozenset = frozenset()
) -> QuerySet[OpenTask]:
    """The user's open tasks, soonest due first, each annotated ``overdue``: their own, those of
    positions they act for, and those of people who delegated to them."""
    now = timezone.now()
    condition = Q(assignee=user)
    if acting_position_ids:
        condition |= Q(position_id__in=acting_position_ids)
    if on_behalf_of_user_ids:
        condition |= Q(assignee_id__in=on_behalf_of_user_ids)
    return (
        OpenTask.objects.pending()
        .filter(condition)
        .annotate(
            overdue=Case(When(due_at__lt=now, then=Value(True)), default=Value(False), output_field=BooleanField())
        )
        .order_by("due_at", "id")
    )


def move_tasks(*, document_type: str, document_ids, role: str, to_user_id: int | None, to_position_id=None) -> int:
    """Hand the open tasks of a role on some documents to another person (a corrected rater)."""
    return (
        OpenTask.objects.pending()
        .filter(document_type=document_type, document_id__in=list(document_ids), role=role)
        .update(assignee_id=to_user_id, position_id=to_position_id)
    )
