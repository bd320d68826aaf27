"""Writing a validated file: units, then positions, then employees, in the caller's transaction.

Units and positions go through the audited writes of org.writes (one event per record created or
changed), as a change made on a page does. Employees are saved as they are; what changes for the
running year (who appears, moves or leaves) is returned for processes.services.org_import to act on.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from workflow.engine import record

from ..models import Employee, Position, Unit
from ..ranks import PositionKind, grade_fits
from ..writes import POSITION_FIELDS, created, write_fields, write_unit
from ..writes import UNIT_FIELDS as UNIT_AUDITED
from .report import ImportRejected, ImportReport
from .validation import FileContent

# Optional employee columns: blank leaves the value in the database as it is.
KEPT_WHEN_BLANK = ("grade", "position_start", "contract_start", "contract_end")


@dataclass
class PersonChange:
    """An employee the file places anew (``leave_date`` None: new, back, or in another position)
    or takes out (a leaver); ``line`` is their row."""

    line: int
    employee: Employee
    position_start: datetime.date | None = None
    leave_date: datetime.date | None = None
    leave_reason: str = ""
    contract_end: datetime.date | None = None  # a PPPK's contract now ends on this day


def _save_if_changed(instance, values: dict, report: ImportReport, kind: str) -> None:
    if instance.pk is None:
        for name, value in values.items():
            setattr(instance, name, value)
        instance.save()
        report.created[kind] += 1
        return
    # A related record is compared by its key (no query to load the one in place).
    changed = [name for name, value in values.items()
               if getattr(instance, instance._meta.get_field(name).attname) != getattr(value, "pk", value)]
    if changed:
        for name in changed:
            setattr(instance, name, values[name])
        instance.save(update_fields=changed)
        report.updated[kind] += 1
    else:
        report.unchanged[kind] += 1


def apply_units(content: FileContent, report: ImportReport, *, actor, origin: dict | None) -> None:
    """Parents before children; each unit created or changed is one audited write (org.writes).
    A moved unit takes its subtree with it at once, so the paths in hand stay true."""
    existing = {u.code: u for u in Unit.objects.filter(code__in=list(content.units) + [u["parent"] for u in content.units.values()])}
    done: set[str] = set()

    def apply(code: str) -> None:
        if code in done or code not in content.units:
            return
        data = content.units[code]
        if data["parent"]:
            apply(data["parent"])
        parent = existing.get(data["parent"]) if data["parent"] else None
        unit = existing.get(code)
        if unit is None:
            unit = Unit(code=code, name=data["name"], kind=data.get("kind") or Unit.Kind.SECTION, parent=parent)
            unit.save(force_insert=True)
            record(unit, "create", actor=actor, origin=origin, data=created(unit, UNIT_AUDITED), created=True)
            report.created["units"] += 1
        else:
            values = {name: data[key] for name, key in (("name", "name"), ("kind", "kind")) if data.get(key)}
            old_path = unit.path
            if write_unit(unit, values, parent=parent, actor=actor, origin=origin) is None:
                report.unchanged["units"] += 1
            else:
                report.updated["units"] += 1
                if unit.path != old_path:  # the units in hand below it moved with it
                    for other in existing.values():
                        if other is not unit and other.path.startswith(old_path):
                            other.path = unit.path + other.path[len(old_path):]
        existing[code] = unit
        done.add(code)

    for code in content.units:
        apply(code)


def apply_positions(content: FileContent, report: ImportReport, *, actor, origin: dict | None) -> None:
    """Superiors before subordinates (a superior may be described after them); each position
    created or changed is one audited write (org.writes). A position the file gives no kind keeps
    its own; a new one is structural if it leads its unit, else an executor's."""
    units = {u.code: u for u in Unit.objects.filter(code__in=[p["unit"] for p in content.positions.values()])}
    superiors = [p["superior"] for p in content.positions.values() if p["superior"]]
    existing = {p.code: p for p in Position.objects.filter(code__in=list(content.positions) + superiors)}
    done: set[str] = set()
    pending: set[str] = set()

    def apply(code: str) -> None:
        if code in done or code not in content.positions:
            return
        data = content.positions[code]
        if code in pending:
            raise ImportRejected([(data["line"], _("position %(code)s would be its own superior") % {"code": code})])
        pending.add(code)
        if data["superior"]:
            apply(data["superior"])
        position = existing.get(code)
        default_kind = PositionKind.STRUCTURAL if data["leader"] else PositionKind.EXECUTOR
        kind = data["kind"] or (position.kind if position else default_kind)
        kept_level = position.functional_level if position else ""
        values = {
            "title": data["title"],
            "unit": units[data["unit"]],
            "superior": existing.get(data["superior"]) if data["superior"] else None,
            "is_unit_leader": bool(data["leader"]),
            "kind": kind,
            "functional_level": (data["level"] or kept_level) if kind == PositionKind.FUNCTIONAL else "",
        }
        if position is None:
            position = Position(code=code, **values)
            position.save(force_insert=True)
            record(position, "create", actor=actor, origin=origin, data=created(position, POSITION_FIELDS), created=True)
            existing[code] = position
            report.created["positions"] += 1
        elif write_fields(position, values, POSITION_FIELDS, actor=actor, origin=origin) is None:
            report.unchanged["positions"] += 1
        else:
            report.updated["positions"] += 1
        done.add(code)

    for code in content.positions:
        apply(code)


def apply_employees(content: FileContent, report: ImportReport) -> list[PersonChange]:
    """Create or update the employees; return those the running year must hear of. A leaver's
    row leaves their position and activity to the leave (processes.services.org_import); a leaver the
    organisation never had is recorded as already gone (inactive, no position) once the date is past."""
    User = get_user_model()
    today = timezone.localdate()
    employees = content.employees.values()
    positions = {p.code: p for p in Position.objects.filter(code__in=[e["position"] for e in employees]).select_related("unit")}
    existing = {e.nip: e for e in Employee.objects.filter(nip__in=list(content.employees))}
    users = {u.username: u for u in User.objects.filter(username__in=[e["username"] for e in employees if e["username"]])}
    changes, errors = [], []
    for nip, data in content.employees.items():
        user = None
        if data["username"]:
            user = users.get(data["username"])
            if user is None:
                user = User(username=data["username"], email=data["email"])
                user.set_unusable_password()
                user.save()
            elif data["email"] and user.email != data["email"]:
                user.email = data["email"]
                user.save(update_fields=["email"])
        employee = existing.get(nip) or Employee(nip=nip)
        was_placed = employee.pk is not None and employee.is_active and employee.position_id is not None
        was_position, was_contract_end = employee.position_id, employee.contract_end
        # A blank type or language keeps what is recorded (a new employee: PNS, Indonesian).
        etype = data["employment_type"] or (employee.employment_type if employee.pk else Employee.EmploymentType.PNS)
        language = data["language"] or (employee.language if employee.pk else Employee.Language.INDONESIAN)
        if data["grade"] and not grade_fits(etype, data["grade"]):
            errors.append((data["line"], _("grade %(grade)s does not fit employment type %(type)s: a PNS or CPNS has I/a to "
                                            "IV/e, a PPPK I to XVII") % {"grade": data["grade"], "type": etype}))
        if (data["contract_start"] or data["contract_end"]) and etype != Employee.EmploymentType.PPPK:
            errors.append((data["line"], _("contract_start and contract_end are for a PPPK only")))
        values = {"name": data["name"], "employment_type": etype, "language": language}
        leave_date = data["leave_date"]
        if leave_date is None:
            values.update(position=positions[data["position"]], is_active=True)
        elif employee.pk is None:
            gone = leave_date <= today
            values.update(position=None if gone else positions.get(data["position"]), is_active=not gone)
        values.update({name: data[name] for name in KEPT_WHEN_BLANK if data[name]})
        if etype != Employee.EmploymentType.PPPK:  # a contract is a PPPK's only
            values.update(contract_start=None, contract_end=None)
        if not data["grade"] and not grade_fits(etype, employee.grade):
            values["grade"] = ""  # the type changed and the old grade no longer fits it
        if user is not None:
            values["user"] = user
        _save_if_changed(employee, values, report, "employees")
        if leave_date is not None:
            changes.append(PersonChange(data["line"], employee, leave_date=leave_date, leave_reason=data["leave_reason"]))
        elif not was_placed or employee.position_id != was_position:
            changes.append(PersonChange(data["line"], employee, position_start=data["position_start"]))
        elif employee.contract_end and employee.contract_end != was_contract_end:
            # A PPPK's contract shortened: no plan runs past it (an extension starts no plan by itself).
            changes.append(PersonChange(data["line"], employee, contract_end=employee.contract_end))
    if errors:
        raise ImportRejected(sorted(errors))
    return changes
