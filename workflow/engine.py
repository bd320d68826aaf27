"""The one path of every state change.

``perform`` is the only code that moves a document from one status to another. Views, the API,
admin actions, Celery tasks and timers all call it. In one database transaction it:

1. locks the document row (``select_for_update``), so concurrent actions on one document
   serialise and the loser sees the new state (a clean 409), never a lost update; the audit
   chain's head is read in the same round trip, once the lock is held (``Flow.lock``);
2. checks the action exists from the current state (else InvalidTransition with the actions the
   actor may take);
3. checks the actor holds the action's role on this document, in person or as an acting
   official (else NotPermitted). Permission is checked before the guards so that a stranger
   learns nothing about the document from a guard's message;
4. checks the guards and applies the action (viewflow.fsm runs the conditions and the body);
5. bumps the version and saves the status with the fields the action changed;
6. appends the audit event (hash-chained per document);
7. closes the document's open tasks and opens the next ones;
8. writes the notifications;
9. queues the side effects (Celery tasks, signals) to run only after the commit.

Steps 5 to 8, with the action's own plain writes, go to the database together (``WriteBatch``:
one round trip on PostgreSQL), the hot path of the deadline peaks (bench/README.md, benchmark 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow import fsm

from notifications.services import hand_over_after_commit, notify_bulk, outbox_rows

from . import audit
from .batch import WriteBatch
from .errors import Conflict, InvalidTransition, NotPermitted
from .flows import SYSTEM, Comment, Context, Flow, action_attr, action_name
from .models import AuditEvent, OpenTask
from .signals import transition_committed


@dataclass(frozen=True)
class TransitionResult:
    document: object
    event: AuditEvent


def perform(
    document,
    action: str,
    *,
    actor,
    comment: str = "",
    data: dict | None = None,
    origin: dict | None = None,
    expected_version: int | None = None,
) -> TransitionResult:
    """Take ``action`` on ``document`` as ``actor`` (a user, or None for the system)."""
    flow_class: type[Flow] = document.flow_class
    attr = action_attr(action)
    if action not in flow_class.action_names():
        raise InvalidTransition(
            _("Unknown action “%(action)s”.") % {"action": action},
            status=document.status,
            allowed_actions=flow_class(document).allowed_actions(actor),
        )
    context = Context(actor=actor, comment=(comment or "").strip(), data=data or {}, origin=origin or {})

    with transaction.atomic():
        # The audit chain's head is read with the lock, in the same round trip, after it is taken.
        using = router.db_for_write(flow_class.model)
        locked, head_rows = flow_class.lock(
            document.pk, then=audit.head_query(flow_class.model.document_type, document.pk, using=using)
        )
        flow = flow_class(locked, context)
        from_state = locked.status

        transition = getattr(type(flow), attr)._descriptor.get_transition(from_state)
        label = flow_class.action_label(action)
        if transition is None:
            raise InvalidTransition(
                _("“%(action)s” is not possible while the document is “%(status)s”.")
                % {"action": label, "status": locked.get_status_display()},
                status=from_state,
                allowed_actions=flow.allowed_actions(actor),
            )
        if expected_version is not None and expected_version != locked.version:
            raise Conflict(
                _("The document was changed by someone else; reload it and try again."),
                status=from_state,
                allowed_actions=flow.allowed_actions(actor),
            )

        role = transition.custom["role"]
        authorization = flow.authorize(actor, role)
        if authorization is None:
            raise NotPermitted(_("You may not “%(action)s” this document.") % {"action": label})
        context.authorization = authorization
        # The action's own writes may join the transition's batch (sent in one round trip).
        flow.batch = batch = WriteBatch(using)
        if transition.custom["comment"] == Comment.REQUIRED and not context.comment:
            raise ValidationError({"comment": [_("A comment is required for “%(action)s”.") % {"action": label}]})

        try:
            getattr(flow, attr)()
        except fsm.TransitionConditionsUnmet as unmet:
            raise InvalidTransition(
                unmet.unmet_message or _("The conditions for “%(action)s” are not met.") % {"action": label},
                status=from_state,
                allowed_actions=flow.allowed_actions(actor),
            ) from None

        locked.version += 1
        now = timezone.now()
        batch.update(locked, {"status", "version", "updated_at", *flow.changed_fields})
        event = audit.next_event(
            document_type=locked.document_type,
            document_id=locked.pk,
            action=action,
            from_state=from_state,
            to_state=locked.status,
            actor_id=actor.pk if actor is not None else None,
            on_behalf_of_id=authorization.on_behalf_of,
            comment=context.comment,
            data=context.data if context.audit_data is None else context.audit_data,
            origin=context.origin or {"channel": SYSTEM if actor is None else "internal"},
            at=now,
            chain_head=audit.head_of(head_rows),
        )
        batch.insert([event])
        batch.update_where(
            OpenTask, {"closed_at": now}, {"document_type": locked.document_type, "document_id": locked.pk}, null=("closed_at",)
        )
        batch.insert(task_rows(locked.document_type, locked.pk, flow.open_tasks()))
        notifications = outbox_rows((notice, locked.document_type, locked.pk) for notice in flow.notices(action, from_state))
        batch.insert(notifications)
        batch.run()
        hand_over_after_commit(notifications)

        for callback in flow.callbacks:
            transaction.on_commit(callback)
        transaction.on_commit(
            partial(
                transition_committed.send,
                sender=type(locked),
                document_type=locked.document_type,
                document_id=locked.pk,
                action=action,
                event_id=event.pk,
            )
        )
    return TransitionResult(document=locked, event=event)


def start(document, *, actor, action: str = "create", comment: str = "", data: dict | None = None, origin: dict | None = None):
    """Save a new document that an action creates (an objection), in its initial state, with
    its first audit event, open tasks and notifications: the creation's share of ``perform``."""
    flow = document.flow_class(document, Context(actor=actor, comment=comment, data=data or {}, origin=origin or {}))
    with transaction.atomic():
        document.save(force_insert=True)
        event = audit.append(
            document_type=document.document_type, document_id=document.pk, action=action, to_state=document.status,
            actor_id=actor.pk if actor is not None else None, comment=comment, data=data or {},
            origin=origin or {"channel": SYSTEM if actor is None else "internal"},
        )
        open_tasks(document.document_type, document.pk, flow.open_tasks())
        notify_bulk((notice, document.document_type, document.pk) for notice in flow.notices(action, ""))
    return TransitionResult(document=document, event=event)


def open_tasks(document_type: str, document_id: int, specs) -> list[OpenTask]:
    return OpenTask.objects.bulk_create(task_rows(document_type, document_id, specs))


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


def available_actions(document, user) -> list[str]:
    """What ``user`` may do with ``document`` now (for the API's and the pages' buttons)."""
    return document.flow_class(document).allowed_actions(user)


__all__ = ["perform", "start", "available_actions", "TransitionResult", "action_name"]
