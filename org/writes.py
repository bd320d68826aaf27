"""The writes of the organisation: units, positions, role assignments, acting officials.

Every change goes through one of these services, which the pages, the API and the importer
call (the admin is read-only for these records). Each service, in one transaction:

1. checks the actor may make it: HR of the units concerned (``is_hr_for``: the units lie in the
   scope of their HR assignments) or a superuser; ``actor=None`` is the system (the command line,
   run by an administrator), which may do anything. Refused: ``NotPermitted``;
2. validates the input (``ValidationError`` with a list of messages per field);
3. writes the change and appends ONE audit event on the record's own chain
   (``workflow.engine.record``, which locks the row first): the changed fields before and after
   (``{"changes": {field: [before, after]}}``; a created record's fields from ``None``);
4. notifies the people concerned (an acting official, the holder of a role).

A change that changes nothing writes nothing (no event). Delegations live in
``org.delegations`` on the same pattern.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.engine import record
from workflow.errors import InvalidTransition, NotPermitted
from workflow.flows import Notice
from workflow.locking import lock_rows

from .models import ActingAssignment, Employee, Position, RoleAssignment, Unit
from .ranks import FUNCTIONAL_LEVELS, PositionKind
from .services import is_hr_for

# A code is one segment of a unit's materialised path: no "/" and nothing a LIKE prefix could
# misread; letters, digits, dot, dash and underscore.
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,49}")
UNSET: Any = object()  # "leave this field as it is" in the update services

UNIT_FIELDS = ("code", "name", "kind", "parent", "path", "is_active")
POSITION_FIELDS = ("code", "title", "unit", "superior", "is_unit_leader", "kind", "functional_level")
ROLE_FIELDS = ("user", "role", "unit")
ACTING_FIELDS = ("employee", "position", "kind", "start", "end")


# The shared steps -----------------------------------------------------------------------------


def require_hr(actor, units: Iterable[Unit | None], message: str) -> None:
    """HR of every given unit, or a superuser, or the system (``None``); a ``None`` unit (the
    root of the tree) is the superuser's alone."""
    if actor is None or actor.is_superuser:
        return
    units = list(units)
    if any(unit is None for unit in units) or not is_hr_for(actor, units):
        raise NotPermitted(message)


def snapshot(instance, fields: Iterable[str]) -> dict[str, Any]:
    """The audited values of ``fields``: a related record by its key, a date as ISO text."""
    values = {}
    for name in fields:
        field = instance._meta.get_field(name)
        value = getattr(instance, field.attname)
        values[name] = value.isoformat() if isinstance(value, datetime.date) else value
    return values


def changes(before: dict, after: dict) -> dict[str, list]:
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def created(instance, fields: Iterable[str]) -> dict:
    return {"changes": changes({}, {k: v for k, v in snapshot(instance, fields).items() if v not in (None, "")})}


def _raise(errors: dict[str, list]) -> None:
    if errors:
        raise ValidationError(errors)


def _check_code(model, code: str, errors: dict, *, exclude: int | None = None) -> None:
    if not CODE.fullmatch(code or ""):
        errors.setdefault("code", []).append(
            _("A code has 1 to 50 letters, digits, dots, dashes or underscores, and starts with a letter or digit."))
    elif model.objects.filter(code=code).exclude(pk=exclude).exists():
        errors.setdefault("code", []).append(_("The code %(code)s is already used.") % {"code": code})


def _check_text(value: str, field: str, max_length: int, errors: dict) -> str:
    value = (value or "").strip()
    if not value:
        errors.setdefault(field, []).append(_("This field is required."))
    elif len(value) > max_length:
        errors.setdefault(field, []).append(_("At most %(count)s characters.") % {"count": max_length})
    return value


# Units ----------------------------------------------------------------------------------------


def unit_create(*, actor, code: str, name: str, kind: str = Unit.Kind.SECTION, parent: Unit | None,
                origin: dict | None = None) -> Unit:
    """A new unit below ``parent`` (HR of the parent; a root unit is the superuser's)."""
    require_hr(actor, [parent], _("Only HR of the parent unit may create a unit below it."))
    errors: dict[str, list] = {}
    code = (code or "").strip()
    _check_code(Unit, code, errors)
    name = _check_text(name, "name", 255, errors)
    if kind not in Unit.Kind.values:
        errors["kind"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Unit.Kind.values)}]
    if parent is not None and not parent.is_active:
        errors["parent"] = [_("The unit %(unit)s is closed.") % {"unit": parent.name}]
    _raise(errors)
    with transaction.atomic():
        unit = Unit(code=code, name=name, kind=kind, parent=parent)
        unit.save(force_insert=True)
        record(unit, "create", actor=actor, origin=origin, data=created(unit, UNIT_FIELDS), created=True)
    return unit


def unit_update(*, actor, unit: Unit, name: str = UNSET, kind: str = UNSET, origin: dict | None = None) -> Unit:
    """Rename a unit or change its kind (moving it is ``unit_move``; its code, which its
    subtree's paths carry, is fixed)."""
    require_hr(actor, [unit], _("Only HR of the unit may change it."))
    errors: dict[str, list] = {}
    values = {}
    if name is not UNSET:
        values["name"] = _check_text(name, "name", 255, errors)
    if kind is not UNSET:
        if kind not in Unit.Kind.values:
            errors["kind"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Unit.Kind.values)}]
        values["kind"] = kind
    _raise(errors)
    write_unit(unit, values, actor=actor, origin=origin)
    return unit


def unit_move(*, actor, unit: Unit, parent: Unit | None, origin: dict | None = None) -> Unit:
    """Place ``unit`` (and everything below it) under ``parent``: HR of both, the unit and its
    new place. The unit's path and every descendant's change in one UPDATE; the event on the unit
    records the parent and the path before and after, and how many descendants moved."""
    require_hr(actor, [unit, parent], _("Only HR of both the unit and its new parent unit may move it."))
    if parent is not None and parent.pk == unit.pk:
        raise ValidationError({"parent": [_("A unit cannot be its own parent.")]})
    if parent is not None and not parent.is_active:
        raise ValidationError({"parent": [_("The unit %(unit)s is closed.") % {"unit": parent.name}]})
    if parent is not None and parent.path.startswith(unit.path):
        raise ValidationError({"parent": [_("A unit cannot be moved under itself or one of its own sub-units.")]})
    write_unit(unit, {}, parent=parent, actor=actor, origin=origin)
    return unit


def write_unit(unit: Unit, values: dict, *, parent: Unit | None = UNSET, actor, origin: dict | None):
    """Change a unit's plain fields (``values``) and, with ``parent``, its place in the tree, as
    one recorded write ("update", or "move" when the parent changes); the caller has checked the
    permission and the values. Returns the event, or None when nothing changed. ``unit`` is
    brought up to date (its path too)."""
    moving = parent is not UNSET and getattr(parent, "pk", None) != unit.parent_id
    if not moving and all(getattr(unit, name) == value for name, value in values.items()):
        return None

    def change(locked: Unit) -> dict:
        diff = changes(snapshot(locked, values), values)
        if diff:
            Unit.objects.filter(pk=locked.pk).update(**{name: after for name, (_before, after) in diff.items()})
        extra = {}
        if moving:
            old_parent, old_path = locked.parent_id, locked.path
            if parent is not None:
                # The new parent is locked too and read again: a concurrent move of the parent
                # under this unit, committed meanwhile, is seen here and refused (no cycle).
                fresh = list(lock_rows(Unit.objects.filter(pk=parent.pk)).only("pk", "path"))[0]
                if fresh.path.startswith(old_path):
                    raise ValidationError({"parent": [_("A unit cannot be moved under itself or one of its own sub-units.")]})
                new_path = f"{fresh.path}{locked.code}/"
            else:
                new_path = f"/{locked.code}/"
            Unit.objects.filter(pk=locked.pk).update(parent=parent)
            moved = Unit.objects.filter(path__startswith=old_path).update(
                path=Concat(Value(new_path), Substr("path", len(old_path) + 1)))
            diff["parent"] = [old_parent, getattr(parent, "pk", None)]
            diff["path"] = [old_path, new_path]
            extra["descendants_moved"] = moved - 1
        return {"changes": diff, **extra}

    with transaction.atomic():
        event = record(unit, "move" if moving else "update", actor=actor, origin=origin, change=change)
    for name, value in values.items():
        setattr(unit, name, value)
    if moving:
        unit.parent, unit.path = parent, event.data["changes"]["path"][1]
    return event


def unit_deactivate(*, actor, unit: Unit, origin: dict | None = None) -> Unit:
    """Close a unit that nobody works in any more: no active sub-unit, no position held by an
    active employee. It stays for the history; it takes no new positions, sub-units or moves."""
    require_hr(actor, [unit], _("Only HR of the unit may close it."))
    if not unit.is_active:
        raise InvalidTransition(_("The unit is already closed."))

    def change(locked: Unit) -> dict:
        errors = {}
        if Unit.objects.filter(parent=locked, is_active=True).exists():
            errors["unit"] = [_("Close or move its sub-units first.")]
        if Employee.objects.filter(is_active=True, position__unit=locked).exists():
            errors.setdefault("unit", []).append(_("Employees still hold positions in this unit; move them first."))
        _raise(errors)
        Unit.objects.filter(pk=locked.pk).update(is_active=False)
        return {"changes": {"is_active": [True, False]}}

    with transaction.atomic():
        record(unit, "deactivate", actor=actor, origin=origin, change=change)
    unit.is_active = False
    return unit


# Positions ------------------------------------------------------------------------------------


def _check_superior(position_pk: int | None, superior: Position | None, errors: dict) -> None:
    """The line above the position must not come back to it (a few queries: lines are short)."""
    seen, current = set(), getattr(superior, "pk", None)
    while current is not None and current not in seen:
        if current == position_pk:
            errors["superior"] = [_("A position cannot be its own superior, even indirectly.")]
            return
        seen.add(current)
        current = Position.objects.filter(pk=current).values_list("superior_id", flat=True).first()


def _check_kind(kind: str, level: str, errors: dict) -> None:
    """A kind of position among structural, functional and executor; a level for a functional one only."""
    if kind not in dict(PositionKind.CHOICES):
        errors["kind"] = [_("Choose structural, functional or executor.")]
    elif level and (kind != PositionKind.FUNCTIONAL or level not in dict(FUNCTIONAL_LEVELS)):
        errors["functional_level"] = [_("A level belongs to a functional position, one of: %(levels)s.")
                                      % {"levels": ", ".join(dict(FUNCTIONAL_LEVELS))}]


def position_create(*, actor, code: str, title: str, unit: Unit, superior: Position | None = None,
                    is_unit_leader: bool = False, kind: str = "", functional_level: str = "",
                    origin: dict | None = None) -> Position:
    """A new position in ``unit`` (HR of the unit). Its superior may lie outside HR's scope (the
    head of an agency answers to the regional secretary)."""
    require_hr(actor, [unit], _("Only HR of the unit may create a position in it."))
    errors: dict[str, list] = {}
    code = (code or "").strip()
    _check_code(Position, code, errors)
    title = _check_text(title, "title", 255, errors)
    if not unit.is_active:
        errors["unit"] = [_("The unit %(unit)s is closed.") % {"unit": unit.name}]
    # A position that leads its unit is structural unless said otherwise; any other, an executor's.
    kind = kind or (PositionKind.STRUCTURAL if is_unit_leader else PositionKind.EXECUTOR)
    _check_kind(kind, functional_level, errors)
    _raise(errors)
    with transaction.atomic():
        position = Position(code=code, title=title, unit=unit, superior=superior, is_unit_leader=bool(is_unit_leader),
                            kind=kind, functional_level=functional_level)
        position.save(force_insert=True)
        record(position, "create", actor=actor, origin=origin, data=created(position, POSITION_FIELDS), created=True)
    return position


def position_update(*, actor, position: Position, title: str = UNSET, unit: Unit = UNSET,
                    superior: Position | None = UNSET, is_unit_leader: bool = UNSET, kind: str = UNSET,
                    functional_level: str = UNSET, origin: dict | None = None) -> Position:
    """Change a position's title, unit, superior or leadership (HR of its unit, and of the new
    unit when it moves)."""
    require_hr(actor, [position.unit] + ([unit] if unit is not UNSET else []),
               _("Only HR of the position's unit may change it."))
    errors: dict[str, list] = {}
    values: dict[str, Any] = {}
    if title is not UNSET:
        values["title"] = _check_text(title, "title", 255, errors)
    if unit is not UNSET:
        if unit is None:
            errors["unit"] = [_("This field is required.")]
        elif not unit.is_active and unit.pk != position.unit_id:
            errors["unit"] = [_("The unit %(unit)s is closed.") % {"unit": unit.name}]
        values["unit"] = unit
    if superior is not UNSET:
        _check_superior(position.pk, superior, errors)
        values["superior"] = superior
    if is_unit_leader is not UNSET:
        values["is_unit_leader"] = bool(is_unit_leader)
    if kind is not UNSET or functional_level is not UNSET:
        values["kind"] = position.kind if kind is UNSET else kind
        values["functional_level"] = ("" if values["kind"] != PositionKind.FUNCTIONAL else position.functional_level) \
            if functional_level is UNSET else functional_level
        _check_kind(values["kind"], values["functional_level"], errors)
    _raise(errors)
    write_fields(position, values, POSITION_FIELDS, actor=actor, origin=origin)
    return position


def write_fields(instance, values: dict, fields: tuple, *, actor, origin: dict | None):
    """Set ``values`` on the locked row and record the fields that changed, as one "update"
    event; the caller has checked the permission and the values. Returns the event, or None
    when nothing changed (nothing is written)."""
    current = snapshot(instance, fields)
    if all(current.get(name) == getattr(value, "pk", value) for name, value in values.items()):
        return None

    def change(locked) -> dict:
        before = snapshot(locked, fields)
        for name, value in values.items():
            setattr(locked, name, value)
        diff = changes(before, snapshot(locked, fields))
        locked.save(update_fields=[name for name in values if name in diff])
        return {"changes": diff}

    with transaction.atomic():
        event = record(instance, "update", actor=actor, origin=origin, change=change)
    for name, value in values.items():
        setattr(instance, name, value)
    return event


# Role assignments -----------------------------------------------------------------------------


def role_grant(*, actor, user, unit: Unit, role: str = RoleAssignment.Role.HR,
               origin: dict | None = None) -> RoleAssignment:
    """Give ``user`` a role over ``unit`` and everything below it (HR of the unit)."""
    require_hr(actor, [unit], _("Only HR of the unit may grant a role over it."))
    errors: dict[str, list] = {}
    if role not in RoleAssignment.Role.values:
        errors["role"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(RoleAssignment.Role.values)}]
    if user is None or not user.is_active:
        errors["user"] = [_("Choose an active user.")]
    elif RoleAssignment.objects.filter(user=user, role=role, unit=unit).exists():
        errors["user"] = [_("%(user)s already holds this role over %(unit)s.") % {"user": user, "unit": unit.name}]
    _raise(errors)
    with transaction.atomic():
        assignment = RoleAssignment.objects.create(user=user, role=role, unit=unit)
        record(assignment, "grant", actor=actor, origin=origin, created=True, data=created(assignment, ROLE_FIELDS),
               notices=[Notice(user.pk, "role.granted", {"role": str(assignment.get_role_display()), "unit": unit.name})])
    return assignment


def role_revoke(*, actor, assignment: RoleAssignment, origin: dict | None = None) -> None:
    """Take a role back (HR of its unit). The row goes; its audit chain stays."""
    require_hr(actor, [assignment.unit], _("Only HR of the unit may revoke a role over it."))
    notice = Notice(assignment.user_id, "role.revoked", {"role": str(assignment.get_role_display()), "unit": assignment.unit.name})

    def change(locked: RoleAssignment) -> dict:
        before = snapshot(locked, ROLE_FIELDS)
        locked.delete()
        return {"changes": {name: [value, None] for name, value in before.items()}}

    with transaction.atomic():
        record(assignment, "revoke", actor=actor, origin=origin, change=change, notices=[notice])


# Acting officials (Plt / Plh) -----------------------------------------------------------------


def acting_create(*, actor, employee: Employee, position: Position, kind: str, start: datetime.date,
                  end: datetime.date, origin: dict | None = None) -> ActingAssignment:
    """Appoint an acting official for a position and a date range (HR of the position's unit):
    a Plt for a vacant position, a Plh for a holder who is away; one at a time per position."""
    require_hr(actor, [position.unit], _("Only HR of the position's unit may appoint an acting official."))
    errors: dict[str, list] = {}
    if kind not in ActingAssignment.Kind.values:
        errors["kind"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(ActingAssignment.Kind.values)}]
    if not employee.is_active:
        errors["employee"] = [_("Choose an active employee.")]
    elif employee.position_id == position.pk:
        errors["employee"] = [_("The holder of the position cannot act for it.")]
    held = position.holders.filter(is_active=True).exists()
    if kind == ActingAssignment.Kind.PLT and held:
        errors["kind"] = [_("A Plt fills a vacant position; this one has a holder (appoint a Plh).")]
    elif kind == ActingAssignment.Kind.PLH and not held:
        errors["kind"] = [_("A Plh stands in for an absent holder; this position is vacant (appoint a Plt).")]
    if end < start:
        errors["end"] = [_("The end comes before the start.")]
    elif end < timezone.localdate():
        errors["end"] = [_("The assignment would already be over.")]
    elif ActingAssignment.objects.filter(position=position, start__lte=end, end__gte=start).exists():
        errors["start"] = [_("Another acting official holds this position on some of these dates.")]
    _raise(errors)
    with transaction.atomic():
        assignment = ActingAssignment.objects.create(employee=employee, position=position, kind=kind, start=start, end=end)
        record(assignment, "create", actor=actor, origin=origin, created=True, data=created(assignment, ACTING_FIELDS), notices=[
            Notice(employee.user_id, "acting.started", {
                "kind": str(assignment.get_kind_display()), "position": position.title,
                "start": start.isoformat(), "end": end.isoformat(),
            }),
        ])
    return assignment


def acting_end(*, actor, assignment: ActingAssignment, last_day: datetime.date | None = None,
               origin: dict | None = None) -> ActingAssignment | None:
    """End an acting assignment early: ``last_day`` (today by default) is its last. One that has
    not begun by then is withdrawn (the row goes, its audit chain stays; returns None)."""
    require_hr(actor, [assignment.position.unit], _("Only HR of the position's unit may end an acting assignment."))
    today = timezone.localdate()
    last_day = last_day or today
    if assignment.end < today:
        raise InvalidTransition(_("The assignment is already over."))
    if last_day < today or last_day >= assignment.end:
        raise ValidationError({"last_day": [_("The last day lies between today and the current end (%(end)s).")
                                            % {"end": assignment.end.isoformat()}]})
    withdrawn = last_day < assignment.start
    notice = Notice(assignment.employee.user_id, "acting.ended", {
        "kind": str(assignment.get_kind_display()), "position": assignment.position.title,
        "end": last_day.isoformat()})

    def change(locked: ActingAssignment) -> dict:
        before = locked.end.isoformat()
        if withdrawn:
            locked.delete()
            return {"changes": {"end": [before, None]}, "withdrawn": True}
        locked.end = last_day
        locked.save(update_fields=["end"])
        return {"changes": {"end": [before, last_day.isoformat()]}}

    with transaction.atomic():
        record(assignment, "end", actor=actor, origin=origin, change=change, notices=[notice])
    if withdrawn:
        return None
    assignment.end = last_day
    return assignment
