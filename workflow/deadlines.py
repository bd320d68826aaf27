"""The deadline sweep: reminders before and on the due day, escalation after it.

Each reminder and escalation is claimed with an atomic UPDATE ... WHERE <not yet done>, in the
same transaction as its notification and audit event, so running the sweep twice, or on two
workers at once, does each thing once, and a crash half-way leaves it to the next run.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from .engine import record
from .flows import Notice
from .models import OpenTask
from .registry import document_model

KINDS = {
    # kind: (claim field, due field, event, audit action)
    "remind": ("reminded_at", "remind_at", "task.reminder", "remind"),
    "due_today": ("due_reminded_at", None, "task.due_today", "remind_due"),
    "escalate": ("escalated_at", "escalate_at", "task.escalated", "escalate"),
}


def _candidates(kind: str, now: datetime.datetime):
    claim_field, due_field, _event, _action = KINDS[kind]
    tasks = OpenTask.objects.pending().filter(**{f"{claim_field}__isnull": True})
    if kind == "due_today":  # from the start of the due day (Asia/Jakarta) until it has passed
        start_of_today = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time.min))
        return tasks.filter(due_at__gte=start_of_today, due_at__lt=start_of_today + datetime.timedelta(days=1))
    return tasks.filter(**{f"{due_field}__lte": now})


def sweep(now: datetime.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    done = {kind: 0 for kind in KINDS}
    for kind in KINDS:
        for task_id in list(_candidates(kind, now).values_list("pk", flat=True)[:10000]):
            done[kind] += _act(kind, task_id, now)
    return done


def _act(kind: str, task_id: int, now: datetime.datetime) -> int:
    claim_field, _due, event, action = KINDS[kind]
    with transaction.atomic():
        claimed = OpenTask.objects.filter(pk=task_id, closed_at__isnull=True, **{f"{claim_field}__isnull": True}).update(
            **{claim_field: now}
        )
        if not claimed:  # another worker did it, or the document moved on meanwhile
            return 0
        task = OpenTask.objects.select_related("assignee").get(pk=task_id)
        model = document_model(task.document_type)
        # The document's row lock orders this audit event after any concurrent transition's.
        document, _rows = model.flow_class.lock(task.document_id)
        flow = model.flow_class(document)
        recipients = flow.escalation_recipients(task) if kind == "escalate" else [task.assignee_id]
        recipients = [r for r in dict.fromkeys(recipients) if r]
        data = {
            "document": flow.describe(), "actions": ", ".join(task.actions),
            "due": timezone.localtime(task.due_at).strftime("%Y-%m-%d") if task.due_at else "",
            "assignee": (task.assignee.get_full_name() or task.assignee.username) if task.assignee else "",
        }
        record(
            document, action, actor=None, data={"task": task.pk, "role": task.role, "notified": recipients},
            notices=[Notice(recipient, event, data) for recipient in recipients],
        )
    return 1
