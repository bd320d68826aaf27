"""The one command path of every write of a document.

Every write goes through one of these functions; views, the API, admin actions, Celery tasks and
timers call them, and no other code writes a status, an audit event or an open task:

- ``perform``: a transition (an action of the flow that moves the status);
- ``edit``: a change of content in a state the flow declares editable (``Flow.edits``);
- ``start`` / ``start_many``: the creation of one document, or of many in bulk;
- ``record``: an event on a record's own chain that changes no status (an organisation record's
  change, a reminder sent about a document).

Each, in one database transaction:

1. locks the row (``select_for_update``), so concurrent writes on one document serialise and the
   loser sees the new state (a clean 409), never a lost update; the locked row carries the audit
   chain's signed head, and the document's open tasks are read in the same round trip, once the
   lock is held (``Flow.lock``);
2. checks the action or edit exists from the current state (else InvalidTransition with the
   actions the actor may take);
3. checks the actor holds the action's role on this document, in person or as an acting
   official or delegate (else NotPermitted). Permission is checked before the guards so that a
   stranger learns nothing about the document from a guard's message;
4. checks the guards and applies the change (viewflow.fsm runs the conditions and the body of
   an action; the caller's function applies an edit);
5. bumps the version and saves the status with the fields the change touched and the chain's
   new head (its sequence, hash and signed anchor: ``workflow.audit.anchors``);
6. appends one audit event (signed with the audit key, chained per document): an edit's records
   each changed field before and after;
7. closes the open tasks that no longer apply and opens the new ones; a task the flow asks for
   again (same role, assignee, position and actions) is kept with its deadlines;
8. writes the notifications;
9. queues the side effects (Celery tasks, signals) to run only after the commit.

Steps 5 to 8, with the action's own plain writes, go to the database together (``WriteBatch``:
one round trip on PostgreSQL), the hot path of the deadline peaks (bench/README.md, benchmark 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow import fsm

from notifications.services import hand_over_after_commit, notify_bulk, outbox_rows

from . import audit
from .audit import anchors
from .batch import WriteBatch
from .errors import Conflict, InvalidTransition, NotPermitted
from .flows import SYSTEM, Authorization, Comment, Context, Flow, Notice, action_attr, action_name
from .models import AuditEvent, Document, OpenTask
from .opentasks import open_rows_query, reconcile, task_rows
from .signals import transition_committed


@dataclass(frozen=True)
class TransitionResult:
    document: object
    event: AuditEvent | None  # None for an edit that found nothing to change


# What an edit's change returns when it found nothing to do: no event, no version bump.
UNCHANGED = object()


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
    if action not in flow_class.action_names():
        raise InvalidTransition(
            _("Unknown action “%(action)s”.") % {"action": action},
            status=document.status,
            allowed_actions=flow_class(document).allowed_actions(actor),
        )
    context = Context(actor=actor, comment=(comment or "").strip(), data=data or {}, origin=origin or {})

    with transaction.atomic():
        step = _Step.lock(flow_class, document.pk, context)
        flow, locked, from_state = step.flow, step.document, step.document.status
        transition = flow_class.transition_for(action, from_state)
        label = flow_class.action_label(action)
        if transition is None:
            raise InvalidTransition(
                _("“%(action)s” is not possible while the document is “%(status)s”.")
                % {"action": label, "status": locked.get_status_display()},
                status=from_state,
                allowed_actions=flow.allowed_actions(actor),
            )
        step.check_version(expected_version)
        step.authorize(transition.custom["role"], label)
        if transition.custom["comment"] == Comment.REQUIRED and not context.comment:
            raise ValidationError({"comment": [_("A comment is required for “%(action)s”.") % {"action": label}]})

        try:
            getattr(flow, action_attr(action))()
        except fsm.TransitionConditionsUnmet as unmet:
            raise InvalidTransition(
                unmet.unmet_message or _("The conditions for “%(action)s” are not met.") % {"action": label},
                status=from_state,
                allowed_actions=flow.allowed_actions(actor),
            ) from None
        event = step.finish(action, from_state, context.data if context.audit_data is None else context.audit_data)
    return TransitionResult(document=locked, event=event)


def edit(
    document,
    name: str,
    *,
    actor,
    change: Callable[[Flow], dict | None],
    comment: str = "",
    origin: dict | None = None,
    expected_version: int | None = None,
) -> TransitionResult:
    """Change ``document``'s content as ``actor``: the edit ``name`` the flow declares
    (``Flow.edits``), in one of its states, by its role (in person, as acting official or
    delegate). ``change(flow)`` applies it to the locked ``flow.document`` (document fields
    through ``flow.set``, its own rows through the ORM or ``flow.writes``) and returns what the
    audit event records beside the changed fields' before and after (or ``UNCHANGED``: nothing is
    written). Open tasks the flow still asks for keep their deadlines."""
    flow_class: type[Flow] = document.flow_class
    declared = flow_class.edits.get(name)
    if declared is None:
        raise ValueError(f"{flow_class.__name__} declares no edit {name!r}")
    context = Context(actor=actor, comment=(comment or "").strip(), origin=origin or {})
    with transaction.atomic():
        step = _Step.lock(flow_class, document.pk, context)
        flow, locked, from_state = step.flow, step.document, step.document.status
        # Who may edit is asked first: someone who may not learns nothing of the document's state.
        step.authorize(declared.role, flow_class.edit_label(name), message=str(declared.refusal or _("You may not change this document.")))
        if from_state not in declared.states:
            raise InvalidTransition(
                _("This cannot be changed while the document is “%(status)s”.") % {"status": locked.get_status_display()},
                status=from_state,
                allowed_actions=flow.allowed_actions(actor),
            )
        step.check_version(expected_version)
        extra = change(flow)
        if extra is UNCHANGED:  # nothing to write (a repeated request found everything done)
            if flow.changed_fields or flow.callbacks or flow.writes.statements:
                raise RuntimeError("an edit's change returned UNCHANGED after changing something")
            return TransitionResult(document=locked, event=None)
        extra = extra or {}
        changes = {
            field: "changed" if field in flow.unaudited_fields else [flow.before.get(field), getattr(locked, field)]
            for field in sorted(flow.changed_fields)
        }
        event = step.finish(name, from_state, {**({"changes": changes} if changes else {}), **extra})
    return TransitionResult(document=locked, event=event)


def start(
    document,
    *,
    actor,
    role: str | None = None,
    action: str = "create",
    comment: str = "",
    data: dict | None = None,
    origin: dict | None = None,
) -> TransitionResult:
    """Save a new document in its initial state with its first audit event, open tasks and
    notifications. With ``role``, the actor must hold it on the new document (the employee who
    files an objection), and the event records on whose behalf."""
    context = Context(actor=actor, comment=(comment or "").strip(), data=data or {}, origin=origin or {})
    flow = document.flow_class(document, context)
    on_behalf_of = None
    if role is not None:
        authorization = flow.authorize(actor, role)
        if authorization is None:
            raise NotPermitted(_("You may not create this document."))
        context.authorization = authorization
        on_behalf_of = authorization.on_behalf_of
    with transaction.atomic():
        document.save(force_insert=True)
        event = audit.next_event(
            document_type=document.document_type, document_id=document.pk, action=action, chain_head=(0, ""),
            to_state=document.status, actor_id=_id(actor), on_behalf_of_id=on_behalf_of, comment=context.comment,
            data=context.data, origin=_origin(context), at=timezone.now(),
        )
        event.save(force_insert=True)
        anchors.save_document_head(document, event, using=router.db_for_write(type(document)))
        OpenTask.objects.bulk_create(task_rows(document.document_type, document.pk, flow.open_tasks()))
        _notify(flow.notices(action, ""), document.document_type, document.pk)
        _after_commit(flow, document, action, event)
    return TransitionResult(document=document, event=event)


def start_many(
    documents: list[Document],
    *,
    actor=None,
    action: str = "create",
    data: dict | None = None,
    origin: dict | None = None,
) -> list[Document]:
    """Create many new documents of one type in bulk (opening a cycle, a month's reports, an
    evaluation period): each with its first audit event, open tasks and notifications, by the same
    flow code as ``start``, in a few INSERTs. The documents carry the related objects their
    flow's ``open_tasks`` and ``notices`` read (so no query runs per document)."""
    if not documents:
        return []
    model = type(documents[0])
    context = Context(actor=actor, data=data or {}, origin=origin or {})
    with transaction.atomic():
        documents = model.objects.bulk_create(documents)
        now = timezone.now()
        events = AuditEvent.objects.bulk_create([
            audit.build_event(
                document_type=model.document_type, document_id=document.pk, action=action, to_state=document.status,
                actor_id=_id(actor), data=context.data, origin=_origin(context), at=now,
            )
            for document in documents
        ])
        anchors.save_document_heads(documents, events, using=router.db_for_write(model))
        tasks, notices = [], []
        for document in documents:
            flow = model.flow_class(document, context)
            tasks += task_rows(model.document_type, document.pk, flow.open_tasks())
            notices += [(notice, model.document_type, document.pk) for notice in flow.notices(action, "")]
        OpenTask.objects.bulk_create(tasks)
        notify_bulk(notices)
    return documents


def record(
    instance,
    action: str,
    *,
    actor,
    comment: str = "",
    data: dict | None = None,
    origin: dict | None = None,
    notices: Iterable[Notice] | Callable[[Any], Iterable[Notice]] = (),
    change: Callable[[Any], dict | None] | None = None,
    on_behalf_of: int | None = None,
    created: bool = False,
):
    """Append an event to ``instance``'s own chain without changing its status: a change of an
    organisation record (a unit moved, a delegation ended), or a reminder sent about a document.
    Locks the row first, so the chain's order is the order of the writes; then ``change(locked)``
    (if given) writes the change and returns what the event records beside ``data``; ``notices``
    may be a function of the locked row too. ``instance``'s model names its chain with
    ``document_type``. Returns the event (``event.data`` holds what was recorded).

    With ``created``, the caller has just inserted the row in its own transaction: no one else can
    see it yet, so its chain starts here without a lock or a read (an import of thousands of
    records pays one INSERT each)."""
    model = type(instance)
    document_type = model.document_type
    using = router.db_for_write(model)
    if created:
        if not transaction.get_connection(using).in_atomic_block:
            raise RuntimeError("record(created=True) belongs in the transaction that created the row")
        context = Context(actor=actor, comment=(comment or "").strip(), data=data or {}, origin=origin or {})
        event = audit.next_event(
            document_type=document_type, document_id=instance.pk, action=action, chain_head=(0, ""), to_state="",
            actor_id=_id(actor), on_behalf_of_id=on_behalf_of, comment=context.comment, data=context.data,
            origin=_origin(context), at=timezone.now(),
        )
        event.save(force_insert=True, using=using)
        anchors.save_head(instance, event, using=using)
        _notify(notices(instance) if callable(notices) else notices, document_type, instance.pk)
        return event
    with transaction.atomic(using=using):
        # The chain's head comes from its anchor (the document's row, or the record's head, read
        # under the record's lock), not from the events: a chain whose tail was deleted keeps its gap.
        if isinstance(instance, Document):
            locked, _rows = model.flow_class.lock(instance.pk)
            state, chain_head = locked.status, (locked.audit_seq, locked.audit_last)
        else:
            locked = model._default_manager.using(using).select_for_update().get(pk=instance.pk)
            state, chain_head = "", anchors.record_head(document_type, instance.pk, using=using)
        recorded = {**(data or {}), **((change(locked) or {}) if change is not None else {})}
        context = Context(actor=actor, comment=(comment or "").strip(), data=recorded, origin=origin or {})
        event = audit.next_event(
            document_type=document_type, document_id=instance.pk, action=action, chain_head=chain_head,
            from_state=state, to_state=state, actor_id=_id(actor), on_behalf_of_id=on_behalf_of, comment=context.comment,
            data=context.data, origin=_origin(context), at=timezone.now(),
        )
        event.save(force_insert=True, using=using)
        anchors.save_head(locked, event, using=using)
        _notify(notices(locked) if callable(notices) else notices, document_type, instance.pk)
    return event


def available_actions(document, user) -> list[str]:
    """What ``user`` may do with ``document`` now (for the API's and the pages' buttons)."""
    return document.flow_class(document).allowed_actions(user)


def may_edit(document, name: str, user) -> bool:
    """Whether ``user`` may make the edit ``name`` on ``document`` in its current state (for the
    pages' forms): the engine's own rule, so a page never offers what the engine refuses."""
    declared = document.flow_class.edits.get(name)
    if declared is None or document.status not in declared.states or user is None:
        return False
    return document.flow_class(document).authorize(user, declared.role) is not None


# The shared steps ----------------------------------------------------------------------------


class _Step:
    """One locked write of a document: what ``perform`` and ``edit`` share."""

    def __init__(self, flow: Flow, using: str, open_rows):
        self.flow = flow
        self.document = flow.document
        self.using = using
        self.open_rows = open_rows
        flow.writes = WriteBatch(using)  # the change's own writes join the engine's round trip

    @classmethod
    def lock(cls, flow_class: type[Flow], pk, context: Context) -> _Step:
        using = router.db_for_write(flow_class.model)
        document_type = flow_class.model.document_type
        # The audit chain's head is on the locked row itself (Document.audit_*): no query of its own.
        locked, (open_rows,) = flow_class.lock(pk, then=[open_rows_query(document_type, pk, using=using)])
        return cls(flow_class(locked, context), using, open_rows)

    def check_version(self, expected_version: int | None) -> None:
        if expected_version is not None and expected_version != self.document.version:
            raise Conflict(
                _("The document was changed by someone else; reload it and try again."),
                status=self.document.status,
                allowed_actions=self.flow.allowed_actions(self.flow.ctx.actor),
            )

    def authorize(self, role: str, label: str, *, message: str | None = None) -> Authorization:
        authorization = self.flow.authorize(self.flow.ctx.actor, role)
        if authorization is None:
            raise NotPermitted(message or _("You may not “%(action)s” this document.") % {"action": label})
        self.flow.ctx.authorization = authorization
        return authorization

    def finish(self, action: str, from_state: str, data: dict) -> AuditEvent:
        """Steps 5 to 9: version, audit event, tasks, notifications, after-commit work."""
        flow, locked, context, batch = self.flow, self.document, self.flow.ctx, self.flow.writes
        locked.version += 1
        now = timezone.now()
        event = audit.next_event(
            document_type=locked.document_type,
            document_id=locked.pk,
            action=action,
            from_state=from_state,
            to_state=locked.status,
            actor_id=_id(context.actor),
            on_behalf_of_id=context.authorization.on_behalf_of,
            comment=context.comment,
            data=data,
            origin=_origin(context),
            at=now,
            chain_head=(locked.audit_seq, locked.audit_last),
        )
        anchors.stamp(locked, event)  # the new head rides on the row's UPDATE
        batch.update(locked, {"status", "version", "updated_at", *anchors.ANCHOR_FIELDS, *flow.changed_fields})
        batch.insert([event])
        to_close, to_open = reconcile(self.open_rows, flow.open_tasks())
        batch.update_pks(OpenTask, {"closed_at": now}, to_close)
        batch.insert(task_rows(locked.document_type, locked.pk, to_open))
        notifications = outbox_rows((notice, locked.document_type, locked.pk) for notice in flow.notices(action, from_state))
        batch.insert(notifications)
        batch.run()
        hand_over_after_commit(notifications)
        _after_commit(flow, locked, action, event)
        return event


def _after_commit(flow: Flow, document, action: str, event: AuditEvent) -> None:
    for callback in flow.callbacks:
        transaction.on_commit(callback)
    transaction.on_commit(
        partial(
            transition_committed.send,
            sender=type(document),
            document_type=document.document_type,
            document_id=document.pk,
            action=action,
            event_id=event.pk,
        )
    )


def _notify(notices: Iterable[Notice], document_type: str, document_id: int) -> None:
    notify_bulk((notice, document_type, document_id) for notice in notices)


def _id(actor) -> int | None:
    return actor.pk if actor is not None else None


def _origin(context: Context) -> dict[str, Any]:
    return context.origin or {"channel": SYSTEM if context.actor is None else "internal"}


__all__ = [
    "UNCHANGED", "TransitionResult", "action_name", "available_actions", "edit", "may_edit", "perform", "record", "start",
    "start_many",
]
