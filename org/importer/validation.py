"""Checking a whole file before anything is written: every error, each with its line.

The result is the file's content keyed the way it is written: units and positions by code,
employees by NIP, each value already parsed (dates as dates, codes normalised).
"""

from __future__ import annotations

import datetime
from collections import Counter

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from ..models import Employee, LeaveReason, Position, Unit
from ..ranks import FUNCTIONAL_LEVELS, PositionKind, grade_fits
from ..services import hr_scope_units
from ..validators import validate_nip
from ..writes import CODE

TRUE = {"1", "true", "yes", "ya", "y"}
# The kinds of position, in English (the codes) or Indonesian (as HR's own exports name them).
POSITION_KINDS = {
    "structural": PositionKind.STRUCTURAL, "struktural": PositionKind.STRUCTURAL,
    "functional": PositionKind.FUNCTIONAL, "fungsional": PositionKind.FUNCTIONAL,
    "executor": PositionKind.EXECUTOR, "pelaksana": PositionKind.EXECUTOR,
}
LEVELS = {code for code, _label in FUNCTIONAL_LEVELS}


class FileContent:
    """The validated content of a file: units, positions, employees keyed by code / NIP."""

    def __init__(self):
        self.units: dict[str, dict] = {}
        self.positions: dict[str, dict] = {}
        self.employees: dict[str, dict] = {}
        self.errors: list[tuple[int, str]] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append((line, message))


def _same_or_error(content: FileContent, store: dict, key: str, values: dict, line: int, what: str) -> None:
    if key not in store:
        store[key] = {**values, "line": line}
        return
    first = store[key]
    for name, value in values.items():
        if value and first.get(name) and first[name] != value:
            content.error(line, _("%(what)s %(key)s: %(field)s “%(value)s” differs from line %(first)s (“%(old)s”)")
                          % {"what": what, "key": key, "field": name, "value": value, "first": first["line"], "old": first[name]})
        elif value and not first.get(name):
            first[name] = value


TEXT_LIMITS = {"unit_name": 255, "position_title": 255, "name": 255, "username": 150, "email": 254}


def validate(rows: list[tuple[int, dict]]) -> FileContent:
    content = FileContent()
    kinds = set(Unit.Kind.values)
    for line, row in rows:
        if not any(row.values()):
            continue
        for column, limit in TEXT_LIMITS.items():  # what the database holds: longer is a line error, never a 500
            if len(row.get(column) or "") > limit:
                content.error(line, _("%(column)s is longer than %(limit)s characters") % {"column": column, "limit": limit})
        unit_code = row.get("unit_code", "")
        if not unit_code:
            content.error(line, _("unit_code is required"))
            continue
        if not CODE.fullmatch(unit_code):
            content.error(line, _("unit_code %(code)s: letters, digits, dots, dashes or underscores only (at most 50)")
                          % {"code": unit_code})
        kind = row.get("unit_kind", "") or ""
        if kind and kind not in kinds:
            content.error(line, _("unit_kind must be one of %(kinds)s") % {"kinds": ", ".join(sorted(kinds))})
        _same_or_error(content, content.units, unit_code, {"name": row.get("unit_name", ""), "kind": kind,
                       "parent": row.get("parent_unit_code", "")}, line, _("unit"))
        position_code = row.get("position_code", "")
        if position_code and not CODE.fullmatch(position_code):
            content.error(line, _("position_code %(code)s: letters, digits, dots, dashes or underscores only (at most 50)")
                          % {"code": position_code})
        if position_code:
            _validate_position(content, line, row, position_code, unit_code)
        nip = row.get("nip", "")
        if nip:
            _validate_employee(content, line, row, position_code)
        elif row.get("name"):
            content.error(line, _("a row with a name needs the employee's NIP"))
    _check_references(content)
    _check_against_database(content)
    return content


def _validate_position(content: FileContent, line: int, row: dict, code: str, unit_code: str) -> None:
    kind_text = row.get("position_kind", "").lower()
    kind = POSITION_KINDS.get(kind_text, "")
    if kind_text and not kind:
        content.error(line, _("position_kind must be structural, functional or executor"))
    level = row.get("functional_level", "").lower().replace(" ", "_")
    if level and level not in LEVELS:
        content.error(line, _("functional_level must be one of %(levels)s") % {"levels": ", ".join(sorted(LEVELS))})
    elif level and kind and kind != PositionKind.FUNCTIONAL:
        content.error(line, _("functional_level is for a functional position only (position_kind functional)"))
    _same_or_error(content, content.positions, code, {
        "title": row.get("position_title", ""), "unit": unit_code,
        "superior": row.get("superior_position_code", ""),
        "leader": "1" if row.get("is_unit_leader", "").lower() in TRUE else "",
        "kind": kind, "level": level if level in LEVELS else "",
    }, line, _("position"))


def _date(content: FileContent, line: int, row: dict, column: str) -> datetime.date | None:
    value = row.get(column, "")
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        content.error(line, _("%(column)s “%(value)s” is not a date (YYYY-MM-DD)") % {"column": column, "value": value})
        return None


def normalise_grade(text: str) -> str:
    """"iii/a" → "III/a", "ix" → "IX": the codes of org.ranks, however the file cases them."""
    roman, slash, letter = text.strip().partition("/")
    return f"{roman.upper()}{slash}{letter.lower()}"


def _validate_employee(content: FileContent, line: int, row: dict, position_code: str) -> None:
    nip = row["nip"]
    try:
        validate_nip(nip)
    except ValidationError as error:
        content.error(line, f"NIP {nip}: {' '.join(error.messages)}")
    if nip in content.employees:
        content.error(line, _("NIP %(nip)s appears again (first on line %(first)s)")
                      % {"nip": nip, "first": content.employees[nip]["line"]})
        return
    if not row.get("name"):
        content.error(line, _("name is required for NIP %(nip)s") % {"nip": nip})
    leave_date = _date(content, line, row, "leave_date")
    leave_reason = row.get("leave_reason", "").lower()
    if not position_code and not row.get("leave_date"):  # a leaver may be named without the seat they leave
        content.error(line, _("position_code is required for NIP %(nip)s") % {"nip": nip})
    # Blank: the type recorded (a new employee: pns); the grade and contract are checked against it
    # when the file is applied (importer.apply).
    employment_type = (row.get("employment_type") or "").lower()
    if employment_type and employment_type not in Employee.EmploymentType.values:
        content.error(line, _("employment_type must be pns, cpns or pppk"))
    grade = normalise_grade(row.get("grade", ""))
    if grade and employment_type and not grade_fits(employment_type, grade):
        content.error(line, _("grade %(grade)s does not fit employment type %(type)s: a PNS or CPNS has I/a to IV/e, "
                              "a PPPK I to XVII") % {"grade": grade, "type": employment_type})
    contract_start, contract_end = _date(content, line, row, "contract_start"), _date(content, line, row, "contract_end")
    if (row.get("contract_start") or row.get("contract_end")) and employment_type and employment_type != Employee.EmploymentType.PPPK:
        content.error(line, _("contract_start and contract_end are for a PPPK only"))
    elif contract_start and contract_end and contract_end < contract_start:
        content.error(line, _("contract_end %(end)s is before contract_start %(start)s") % {"end": contract_end, "start": contract_start})
    if leave_reason and leave_reason not in LeaveReason.values:
        content.error(line, _("leave_reason must be one of %(reasons)s") % {"reasons": ", ".join(LeaveReason.values)})
    if row.get("leave_date") and not leave_reason:
        content.error(line, _("a leave_date needs a leave_reason"))
    if leave_reason and not row.get("leave_date"):
        content.error(line, _("a leave_reason needs a leave_date"))
    language = (row.get("language") or "").lower()  # blank: the language recorded (a new employee: id)
    if language and language not in Employee.Language.values:
        content.error(line, _("language must be id or en"))
    email = row.get("email", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            content.error(line, _("email “%(email)s” is not a valid address") % {"email": email})
    content.employees[nip] = {
        "line": line, "name": row.get("name", ""), "position": position_code, "employment_type": employment_type,
        "language": language, "username": row.get("username", ""), "email": email, "grade": grade,
        "position_start": _date(content, line, row, "position_start"), "contract_start": contract_start,
        "contract_end": contract_end, "leave_date": leave_date, "leave_reason": leave_reason,
    }


def _check_references(content: FileContent) -> None:
    parents = [u["parent"] for u in content.units.values() if u["parent"]]
    in_database = set(Unit.objects.filter(code__in=list(content.units) + parents).values_list("code", flat=True))
    known_units = set(content.units) | in_database
    for code, unit in content.units.items():
        if not unit.get("name") and code not in in_database:
            content.error(unit["line"], _("unit %(code)s needs a unit_name") % {"code": code})
        if unit["parent"] and unit["parent"] not in known_units:
            content.error(unit["line"], _("parent unit %(parent)s is neither in the file nor in the database") % {"parent": unit["parent"]})
        if unit["parent"] == code:
            content.error(unit["line"], _("unit %(code)s cannot be its own parent") % {"code": code})
    # Cycles in the tree the import would make: parents from the file where it names them,
    # else from the database (a unit moved under its own descendant).
    db_parent = dict(Unit.objects.filter(parent__isnull=False).values_list("code", "parent__code"))

    def parent_of(code: str) -> str:
        if code in content.units and content.units[code]["parent"]:
            return content.units[code]["parent"]
        return db_parent.get(code, "") if code not in content.units else ""

    for code in content.units:
        seen, current = {code}, parent_of(code)
        while current:
            if current in seen:
                content.error(content.units[code]["line"], _("unit %(code)s would be inside its own subtree") % {"code": code})
                break
            seen.add(current)
            current = parent_of(current)
    superiors = {p["superior"] for p in content.positions.values() if p["superior"]}
    known_positions = set(content.positions) | set(Position.objects.filter(code__in=superiors).values_list("code", flat=True))
    for code, position in content.positions.items():
        if not position.get("title"):
            content.error(position["line"], _("position %(code)s needs a position_title") % {"code": code})
        if position["superior"] and position["superior"] not in known_positions:
            content.error(position["line"], _("superior position %(code)s is neither in the file nor in the database")
                          % {"code": position["superior"]})
        if position["superior"] == code:
            content.error(position["line"], _("position %(code)s cannot be its own superior") % {"code": code})
    usernames = Counter(e["username"] for e in content.employees.values() if e["username"])
    holders = dict(Employee.objects.filter(user__username__in=list(usernames)).values_list("user__username", "nip"))
    for nip, employee in content.employees.items():
        username = employee["username"]
        if username and usernames[username] > 1:
            content.error(employee["line"], _("username %(username)s is used by more than one employee") % {"username": username})
        elif username and holders.get(username, nip) != nip:
            content.error(employee["line"], _("username %(username)s belongs to another employee") % {"username": username})


def _check_against_database(content: FileContent) -> None:
    """What a row leaves blank keeps its value in the database: a level given without a kind
    needs a position already functional, a contract date given alone is ordered against the other."""
    levelled = [code for code, p in content.positions.items() if p["level"] and not p["kind"]]
    kinds = dict(Position.objects.filter(code__in=levelled).values_list("code", "kind"))
    for code in levelled:
        if kinds.get(code) != PositionKind.FUNCTIONAL:
            content.error(content.positions[code]["line"],
                          _("functional_level is for a functional position only (position_kind functional)"))
    half = {nip: e for nip, e in content.employees.items()
            if e["employment_type"] == Employee.EmploymentType.PPPK and bool(e["contract_start"]) != bool(e["contract_end"])}
    for nip, start, end in Employee.objects.filter(nip__in=list(half), employment_type=Employee.EmploymentType.PPPK).values_list(
            "nip", "contract_start", "contract_end"):
        employee = half[nip]
        start, end = employee["contract_start"] or start, employee["contract_end"] or end
        if start and end and end < start:
            content.error(employee["line"], _("contract_end %(end)s is before contract_start %(start)s") % {"end": end, "start": start})


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
    # An existing account joins an employee of HR's only if it is already theirs: HR may not take
    # over another's account (an administrator's, one without an employee record) by naming it.
    names = {row.get("username", "") for _line, row in rows} - {""}
    accounts = dict(get_user_model().objects.filter(username__in=names).values_list("username", "employee__nip"))
    errors = []
    for line, row in rows:
        username = row.get("username", "")
        if username in accounts and accounts[username] != row.get("nip", ""):
            errors.append((line, _("username %(username)s is an existing account that is not this employee's; only an "
                                   "administrator may attach it") % {"username": username}))
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
