"""The base of every document flow: a viewflow.fsm state machine wrapped around one document.

A flow declares its states with ``fsm.State``, its actions with :func:`action` and its content
edits with :class:`Edit` (``edits``), and tells the engine, in the engine's own terms, who holds
each role on the document (``authorize``), which tasks are open in each state (``open_tasks``),
whom to notify (``notices``) and what to run after the commit (``after_commit``). The engine
(workflow.engine: ``perform``, ``edit``, ``start``, ``start_many``) does the rest.

The engine's fast path is sealed behind two names a flow may use: ``compiled_query`` for a guard's
read that runs on every transition, and ``Flow.writes`` for an action's plain writes, which then
join the transition's own round trip.
"""

from __future__ import annotations

import datetime
import keyword
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

from django.db import router
from django.db.models import QuerySet
from viewflow import fsm

from .prepared import PreparedLock, PreparedQuery

SYSTEM = "system"  # the role of the timers and sweeps (actor None)


class Comment:
    OPTIONAL = "optional"
    REQUIRED = "required"


@dataclass(frozen=True)
class Authorization:
    """The actor may act in ``role``; ``on_behalf_of`` is the role holder's user id when the
    actor is an acting official (Plt/Plh) or a delegate, else None."""

    role: str
    on_behalf_of: int | None = None


@dataclass(frozen=True)
class TaskSpec:
    role: str
    actions: list[str]
    assignee_id: int | None
    position_id: int | None = None
    unit_id: int | None = None
    due_at: datetime.datetime | None = None
    remind_at: datetime.datetime | None = None
    escalate_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Notice:
    recipient_id: int
    event: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """What the caller brings to one transition."""

    actor: Any = None  # a user, or None for the system
    comment: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    origin: dict[str, Any] = field(default_factory=dict)
    authorization: Authorization | None = None
    # What the audit event records of the data, when not all of it: an action whose content
    # must stay anonymous (a colleague's feedback) records only that it happened.
    audit_data: dict[str, Any] | None = None


@dataclass(frozen=True)
class Edit:
    """A change of a document's content (not of its status) that one role may make in the states
    listed: ``edits = {"edit": Edit(states=(Status.DRAFT, Status.RETURNED), role=EMPLOYEE)}``."""

    states: tuple
    role: str
    refusal: str | None = None  # what someone without the role is told (a lazy translation)


def compiled_query(factory: Callable[[], QuerySet], *, lookup: str = "pk") -> PreparedQuery:
    """``factory().filter(<lookup>=value)``, its SQL compiled once per thread: for a guard's read
    that runs on every transition. ``.all(value)`` gives the rows (instances, or dicts for a
    ``values()`` query)."""
    return PreparedQuery(factory, lookup=lookup)


def action(
    state: fsm.State,
    *,
    source,
    target=fsm.base.DEFAULT,
    role: str,
    comment: str = Comment.OPTIONAL,
    conditions: list[Callable] | None = None,
    label: str | None = None,
):
    """Declare an action: an fsm transition that one role may take, with its comment rule.

    The fsm ``permission`` is a query the engine does not trust alone: the engine calls
    ``authorize`` itself to learn on whose behalf the actor acts.
    """
    return state.transition(
        source=source,
        target=target,
        label=label,
        conditions=conditions,
        permission=lambda flow, user: flow.authorize(user, role) is not None,
        custom={"role": role, "comment": comment},
    )


def document_state(states, *, default) -> fsm.State:
    """The fsm state of a flow, kept in its document's ``status`` field."""
    state = fsm.State(states, default=default)
    state.getter()(lambda flow: flow.document.status)
    state.setter()(lambda flow, value: setattr(flow.document, "status", value))
    return state


def action_attr(name: str) -> str:
    """The method name of an action: ``return`` is a Python keyword, so it is spelled ``return_``."""
    return f"{name}_" if keyword.iskeyword(name) else name


def action_name(attr: str) -> str:
    return attr.rstrip("_")


class Flow:
    """Subclasses set ``model`` and declare ``state = document_state(Model.Status, default=...)``."""

    model: ClassVar[type]
    state: ClassVar[fsm.State]
    # Content edits and who may make them in which states (see Edit); none by default.
    edits: ClassVar[dict[str, Edit]] = {}
    # Related rows (select_related names) the flow's decisions rest on, locked FOR KEY SHARE with
    # the document: a concurrent change of them and a transition serialise (PreparedLock).
    lock_shared: ClassVar[tuple[str, ...]] = ()
    # Fields whose text an edit's audit event records only as changed, never the words (a
    # rater's private note).
    unaudited_fields: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, document, context: Context | None = None):
        self.document = document
        self.ctx = context or Context()
        # Fields of the document the action changed, saved with the status and version, and
        # their values before (for the audit event of an edit).
        self.changed_fields: set[str] = set()
        self.before: dict[str, Any] = {}
        self.callbacks: list[Callable[[], None]] = []
        # Set by the engine while an action or edit runs: writes queued here (``update``,
        # ``update_where``, ``update_pks``, ``insert``) are sent with the engine's own, in order.
        self.writes = None

    # The engine's questions; subclasses answer them.
    @classmethod
    def lock_queryset(cls) -> QuerySet:
        """The query that locks the document; select_related what authorize() needs. It must not
        depend on the moment or the caller: its SQL is compiled once (see ``lock``)."""
        return cls.model.objects.all()

    @classmethod
    def lock(cls, pk, *, then: list[tuple[str, list]] = ()):
        """The document, locked for the transition, with what ``lock_queryset`` selects (its SQL
        compiled once), and the rows of each query of ``then`` ((sql, params) pairs), run right
        after the lock in the same round trip."""
        prepared = cls.__dict__.get("_prepared_lock")
        if prepared is None:
            prepared = PreparedLock(cls.lock_queryset, shared=cls.lock_shared)
            cls._prepared_lock = prepared
        return prepared.get(pk, using=router.db_for_write(cls.model), then=then)

    def authorize(self, user, role: str) -> Authorization | None:
        """Whether ``user`` holds ``role`` on this document (and on whose behalf). A flow that
        does not say denies everybody: permission is never granted by omission."""
        return None

    def open_tasks(self) -> list[TaskSpec]:
        return []

    def notices(self, action: str, from_state: str) -> list[Notice]:
        return []

    def describe(self) -> str:
        """The document in words, for reminders ("SKP 2026 — Putri Ayu")."""
        return f"{self.model._meta.verbose_name} #{self.document.pk}"

    def escalation_recipients(self, task) -> list[int]:
        """Whom to tell when ``task`` is overdue past its escalation time (user ids)."""
        return []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Queue work to run once the transition has committed (Celery tasks, signals)."""
        self.callbacks.append(callback)

    def set(self, **fields) -> None:
        """Change fields of the document within an action or edit (saved by the engine)."""
        for name, value in fields.items():
            self.before.setdefault(name, getattr(self.document, name))
            setattr(self.document, name, value)
        self.changed_fields.update(fields)

    # Introspection used by the engine and the API.
    @classmethod
    def transitions_from(cls, status: str):
        return cls.state.get_outgoing_transitions(status)

    @classmethod
    def transition_for(cls, action: str, status: str):
        """The fsm transition ``action`` takes from ``status`` (None if it takes none)."""
        by_source = cls.__dict__.get("_transitions_by_action")
        if by_source is None:
            by_source = {
                name: {t.source: t for t in getattr(cls, action_attr(name)).get_transitions()} for name in cls.action_names()
            }
            cls._transitions_by_action = by_source
        transitions = by_source.get(action, {})
        return transitions.get(status) or transitions.get(fsm.State.ANY)

    @classmethod
    def edit_label(cls, name: str) -> str:
        return name.replace("_", " ")

    @classmethod
    def action_label(cls, name: str) -> str:
        """The action's translated label ("Ajukan" for submit), for messages to people."""
        method = getattr(cls, action_attr(name), None)
        for transition in method.get_transitions() if method is not None else []:
            return str(transition.label)
        return name

    @classmethod
    def action_names(cls) -> list[str]:
        return sorted({action_name(method.slug) for method in cls.state.get_transitions()})

    def allowed_actions(self, user) -> list[str]:
        """Actions the user may take from the current state (guards not evaluated)."""
        names = []
        for transition in self.transitions_from(self.document.status):
            if self.authorize(user, transition.custom["role"]) is not None:
                names.append(action_name(transition.func.__name__))
        return sorted(set(names))
