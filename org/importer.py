"""Importing units, positions and employees from a CSV file.

One row per employee (or per vacant position, or per unit with no positions); a unit or a
position that several rows name must be described the same way each time. The whole file is
validated first: a file with any error is refused whole, each error with its line and reason,
and nothing is written. Re-importing the same file changes nothing.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from workflow.engine import record

from .models import Employee, Position, Unit
from .services import hr_scope_units
from .validators import validate_nip
from .writes import CODE, POSITION_FIELDS, UNIT_FIELDS, created, write_fields, write_unit

COLUMNS = [
    "unit_code", "unit_name", "unit_kind", "parent_unit_code",
    "position_code", "position_title", "superior_position_code", "is_unit_leader",
    "nip", "name", "employment_type", "username", "email", "language",
]
REQUIRED_COLUMNS = ["unit_code", "unit_name", "parent_unit_code", "position_code", "position_title",
                    "superior_position_code", "nip", "name"]
TRUE = {"1", "true", "yes", "ya", "y"}


class ImportRejected(Exception):
    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        super().__init__("\n".join(f"line {line}: {message}" for line, message in errors))


@dataclass
class ImportReport:
    created: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    unchanged: Counter = field(default_factory=Counter)

    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def __str__(self) -> str:
        kinds = ("units", "positions", "employees")
        return "; ".join(
            f"{kind}: {self.created[kind]} created, {self.updated[kind]} updated, {self.unchanged[kind]} unchanged"
            for kind in kinds
        )


def read_rows(text: str) -> list[tuple[int, dict]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([(1, _("missing columns: %(columns)s") % {"columns": ", ".join(missing)})])
    return [
        (number, {key: (value or "").strip() for key, value in row.items() if key in COLUMNS})
        for number, row in enumerate(reader, start=2)
    ]


class _Plan:
    """The validated content of a file: units, positions, employees keyed by code / NIP."""

    def __init__(self):
        self.units: dict[str, dict] = {}
        self.positions: dict[str, dict] = {}
        self.employees: dict[str, dict] = {}
        self.errors: list[tuple[int, str]] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))


def _same_or_error(plan: _Plan, store: dict, key: str, values: dict, line: int, what: str) -> None:
    if key not in store:
        store[key] = {**values, "line": line}
        return
    first = store[key]
    for name, value in values.items():
        if value and first.get(name) and first[name] != value:
            plan.error(line, _("%(what)s %(key)s: %(field)s “%(value)s” differs from line %(first)s (“%(old)s”)")
                       % {"what": what, "key": key, "field": name, "value": value, "first": first["line"], "old": first[name]})
        elif value and not first.get(name):
            first[name] = value


def validate(rows: list[tuple[int, dict]]) -> _Plan:
    plan = _Plan()
    kinds = set(Unit.Kind.values)
    for line, row in rows:
        if not any(row.values()):
            continue
        unit_code = row.get("unit_code", "")
        if not unit_code:
            plan.error(line, _("unit_code is required"))
            continue
        if not CODE.fullmatch(unit_code):
            plan.error(line, _("unit_code %(code)s: letters, digits, dots, dashes or underscores only (at most 50)") % {"code": unit_code})
        kind = row.get("unit_kind", "") or ""
        if kind and kind not in kinds:
            plan.error(line, _("unit_kind must be one of %(kinds)s") % {"kinds": ", ".join(sorted(kinds))})
        _same_or_error(plan, plan.units, unit_code, {"name": row.get("unit_name", ""), "kind": kind,
                       "parent": row.get("parent_unit_code", "")}, line, _("unit"))
        position_code = row.get("position_code", "")
        if position_code and not CODE.fullmatch(position_code):
            plan.error(line, _("position_code %(code)s: letters, digits, dots, dashes or underscores only (at most 50)")
                       % {"code": position_code})
        if position_code:
            _same_or_error(plan, plan.positions, position_code, {
                "title": row.get("position_title", ""), "unit": unit_code,
                "superior": row.get("superior_position_code", ""),
                "leader": "1" if row.get("is_unit_leader", "").lower() in TRUE else "",
            }, line, _("position"))
        nip = row.get("nip", "")
        if nip:
            _validate_employee(plan, line, row, position_code)
        elif row.get("name"):
            plan.error(line, _("a row with a name needs the employee's NIP"))
    _check_references(plan)
    return plan


def _validate_employee(plan: _Plan, line: int, row: dict, position_code: str) -> None:
    nip = row["nip"]
    try:
        validate_nip(nip)
    except ValidationError as error:
        plan.error(line, f"NIP {nip}: {' '.join(error.messages)}")
    if nip in plan.employees:
        plan.error(line, _("NIP %(nip)s appears again (first on line %(first)s)") % {"nip": nip, "first": plan.employees[nip]["line"]})
        return
    if not row.get("name"):
        plan.error(line, _("name is required for NIP %(nip)s") % {"nip": nip})
    if not position_code:
        plan.error(line, _("position_code is required for NIP %(nip)s") % {"nip": nip})
    employment_type = (row.get("employment_type") or "pns").lower()
    if employment_type not in Employee.EmploymentType.values:
        plan.error(line, _("employment_type must be pns or pppk"))
    language = (row.get("language") or "id").lower()
    if language not in Employee.Language.values:
        plan.error(line, _("language must be id or en"))
    email = row.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            plan.error(line, _("email “%(email)s” is not a valid address") % {"email": email})
    plan.employees[nip] = {
        "line": line, "name": row.get("name", ""), "position": position_code, "employment_type": employment_type,
        "language": language, "username": row.get("username", ""), "email": email,
    }


def _check_references(plan: _Plan) -> None:
    parents = [u["parent"] for u in plan.units.values() if u["parent"]]
    known_units = set(plan.units) | set(Unit.objects.filter(code__in=parents).values_list("code", flat=True))
    for code, unit in plan.units.items():
        if not unit.get("name") and not Unit.objects.filter(code=code).exists():
            plan.error(unit["line"], _("unit %(code)s needs a unit_name") % {"code": code})
        if unit["parent"] and unit["parent"] not in known_units:
            plan.error(unit["line"], _("parent unit %(parent)s is neither in the file nor in the database") % {"parent": unit["parent"]})
        if unit["parent"] == code:
            plan.error(unit["line"], _("unit %(code)s cannot be its own parent") % {"code": code})
    # Cycles in the tree the import would make: parents from the file where it names them,
    # else from the database (a unit moved under its own descendant).
    db_parent = dict(Unit.objects.filter(parent__isnull=False).values_list("code", "parent__code"))

    def parent_of(code: str) -> str:
        if code in plan.units and plan.units[code]["parent"]:
            return plan.units[code]["parent"]
        return db_parent.get(code, "") if code not in plan.units else ""

    for code in plan.units:
        seen, current = {code}, parent_of(code)
        while current:
            if current in seen:
                plan.error(plan.units[code]["line"], _("unit %(code)s would be inside its own subtree") % {"code": code})
                break
            seen.add(current)
            current = parent_of(current)
    superiors = {p["superior"] for p in plan.positions.values() if p["superior"]}
    known_positions = set(plan.positions) | set(Position.objects.filter(code__in=superiors).values_list("code", flat=True))
    for code, position in plan.positions.items():
        if not position.get("title"):
            plan.error(position["line"], _("position %(code)s needs a position_title") % {"code": code})
        if position["superior"] and position["superior"] not in known_positions:
            plan.error(position["line"], _("superior position %(code)s is neither in the file nor in the database")
                       % {"code": position["superior"]})
        if position["superior"] == code:
            plan.error(position["line"], _("position %(code)s cannot be its own superior") % {"code": code})
    usernames = Counter(e["username"] for e in plan.employees.values() if e["username"])
    for nip, employee in plan.employees.items():
        username = employee["username"]
        if username and usernames[username] > 1:
            plan.error(employee["line"], _("username %(username)s is used by more than one employee") % {"username": username})
        elif username and Employee.objects.filter(user__username=username).exclude(nip=nip).exists():
            plan.error(employee["line"], _("username %(username)s belongs to another employee") % {"username": username})


def import_org(text: str, *, actor=None, origin: dict | None = None) -> ImportReport:
    """Validate the CSV text whole, then apply it in one transaction. With an ``actor`` (HR in
    the web interface) everything the file touches must lie within their HR scope; the command
    line, run by an administrator, has none. Every unit and position created or changed is
    recorded on its own audit chain by the services of org.writes (one event each), so an import
    and a change made on a page leave the same trail; the scope was checked for the whole file."""
    try:
        rows = read_rows(text)
    except csv.Error as error:
        raise ImportRejected([(0, _("not a readable CSV file: %(error)s") % {"error": error})]) from None
    plan = validate(rows)
    errors = set(plan.errors) | (set(outside_scope(actor, rows)) if actor is not None else set())
    if errors:  # all of them at once, so that one upload shows everything to mend
        raise ImportRejected(sorted(errors))
    report = ImportReport()
    with transaction.atomic():
        _apply_units(plan, report, actor=actor, origin=origin)
        _apply_positions(plan, report, actor=actor, origin=origin)
        _apply_employees(plan, report)
    return report


def outside_scope(user, rows: list[tuple[int, dict]]) -> list[tuple[int, str]]:
    """HR imports within its own scope: existing units, positions and employees the file names
    must lie in the user's units, and a new unit must hang below one of them (or the file's)."""
    if user.is_superuser:
        return []
    scope = set(hr_scope_units(user).values_list("code", flat=True))
    codes = {row.get("unit_code", "") for _line, row in rows} - {""}
    parents = {row.get("parent_unit_code", "") for _line, row in rows} - {""}
    existing_units = set(Unit.objects.filter(code__in=codes | parents).values_list("code", flat=True))
    positions = {row.get("position_code", "") for _line, row in rows} - {""}
    position_units = dict(Position.objects.filter(code__in=positions).values_list("code", "unit__code"))
    nips = {row.get("nip", "") for _line, row in rows} - {""}
    employee_units = dict(Employee.objects.filter(nip__in=nips, position__isnull=False).values_list("nip", "position__unit__code"))
    errors = []
    for line, row in rows:
        code, parent = row.get("unit_code", ""), row.get("parent_unit_code", "")
        if code in existing_units and code not in scope:
            errors.append((line, _("unit %(code)s is outside your HR scope") % {"code": code}))
        elif code and code not in existing_units and parent not in scope and parent not in codes and (
                not parent or parent in existing_units):  # an unknown parent: the importer says so
            errors.append((line, _("new unit %(code)s must be placed below a unit of your HR scope") % {"code": code}))
        position = row.get("position_code", "")
        if position in position_units and position_units[position] not in scope:
            errors.append((line, _("position %(code)s is outside your HR scope") % {"code": position}))
        nip = row.get("nip", "")
        if nip in employee_units and employee_units[nip] not in scope:
            errors.append((line, _("employee %(nip)s works outside your HR scope") % {"nip": nip}))
    return errors


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
        instance.save()
        report.updated[kind] += 1
    else:
        report.unchanged[kind] += 1


def _apply_units(plan: _Plan, report: ImportReport, *, actor, origin: dict | None) -> None:
    """Parents before children; each unit created or changed is one audited write (org.writes).
    A moved unit takes its subtree with it at once, so the paths in hand stay true."""
    existing = {u.code: u for u in Unit.objects.filter(code__in=list(plan.units) + [u["parent"] for u in plan.units.values()])}
    done: set[str] = set()

    def apply(code: str) -> None:
        if code in done or code not in plan.units:
            return
        data = plan.units[code]
        if data["parent"]:
            apply(data["parent"])
        parent = existing.get(data["parent"]) if data["parent"] else None
        unit = existing.get(code)
        if unit is None:
            unit = Unit(code=code, name=data["name"], kind=data.get("kind") or Unit.Kind.SECTION, parent=parent)
            unit.save(force_insert=True)
            record(unit, "create", actor=actor, origin=origin, data=created(unit, UNIT_FIELDS), created=True)
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

    for code in plan.units:
        apply(code)


def _apply_positions(plan: _Plan, report: ImportReport, *, actor, origin: dict | None) -> None:
    """Superiors before subordinates (a superior may be described after them); each position
    created or changed is one audited write (org.writes)."""
    units = {u.code: u for u in Unit.objects.filter(code__in=[p["unit"] for p in plan.positions.values()])}
    superiors = [p["superior"] for p in plan.positions.values() if p["superior"]]
    existing = {p.code: p for p in Position.objects.filter(code__in=list(plan.positions) + superiors)}
    done: set[str] = set()
    pending: set[str] = set()

    def apply(code: str) -> None:
        if code in done or code not in plan.positions:
            return
        data = plan.positions[code]
        if code in pending:
            raise ImportRejected([(data["line"], _("position %(code)s would be its own superior") % {"code": code})])
        pending.add(code)
        if data["superior"]:
            apply(data["superior"])
        values = {
            "title": data["title"],
            "unit": units[data["unit"]],
            "superior": existing.get(data["superior"]) if data["superior"] else None,
            "is_unit_leader": bool(data["leader"]),
        }
        position = existing.get(code)
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

    for code in plan.positions:
        apply(code)


def _apply_employees(plan: _Plan, report: ImportReport) -> None:
    User = get_user_model()
    positions = {p.code: p for p in Position.objects.filter(code__in=[e["position"] for e in plan.employees.values()])}
    existing = {e.nip: e for e in Employee.objects.filter(nip__in=list(plan.employees)).select_related("user")}
    users = {u.username: u for u in User.objects.filter(username__in=[e["username"] for e in plan.employees.values() if e["username"]])}
    for nip, data in plan.employees.items():
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
        values = {
            "name": data["name"], "position": positions[data["position"]], "employment_type": data["employment_type"],
            "language": data["language"], "is_active": True,
        }
        if user is not None:
            values["user"] = user
        _save_if_changed(employee, values, report, "employees")
