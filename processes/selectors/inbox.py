"""The user's inbox: open tasks (their own and those they stand in for) and notifications."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Notification
from org.models import Employee
from workflow.inbox import inbox_for_user

from ..roles import Viewer


def open_tasks_for(user):
    """The user's inbox: their open tasks, those of positions they act for and those of the
    people who delegated to them (the same stand-ins ``processes.roles`` lets act)."""
    viewer = Viewer.of(user)
    if viewer.employee_id is None:
        return inbox_for_user(user)
    delegators = viewer.delegator_ids
    delegator_users = set(
        Employee.objects.filter(pk__in=delegators, user__isnull=False).values_list("user_id", flat=True)
    ) if delegators else set()
    return inbox_for_user(user, acting_position_ids=viewer.acting_position_ids, on_behalf_of_user_ids=delegator_users)


def notifications_for(user) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()
