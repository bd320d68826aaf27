"""Issue 15 through the organisation import: rank, position kind, employment type, contracts and the
start in a position (CSV and XLSX), and the people who join, move and leave the open cycle.

The ``cycle`` fixture is the agency's 2026 cycle, open, with a plan for the whole year for each
employee in scope; today is 2026-12-02.
"""

from __future__ import annotations

import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation

from org.importer import COLUMNS, ImportRejected
from org.models import Employee, Position
from processes.models import CycleMember, Plan
from processes.services.org_import import import_org
from workflow.models import AuditEvent, OpenTask

from ..factories import EmployeeFactory
from .test_import_org import csv_text

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate()
NEWCOMER = "199001012015011001"
PPPK = "199202022021212002"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def row_of(employee: Employee, **changes) -> dict:
    """The row an HR export gives for ``employee`` as recorded (a blank parent would move the unit
    to the root and a blank superior would clear it, so both are carried)."""
    position = employee.position
    unit = position.unit
    return dict(unit_code=unit.code, parent_unit_code=unit.parent.code if unit.parent else "",
                position_code=position.code, position_title=position.title,
                superior_position_code=position.superior.code if position.superior else "",
                is_unit_leader="1" if position.is_unit_leader else "", nip=employee.nip, name=employee.name, **changes)


def new_seat(org, code: str, *, division=None, superior=None, **person) -> dict:
    """A row that creates a position ``code`` below a division head, with ``person`` in it."""
    division = division or org.division
    superior = superior or (org.kabid if division == org.division else org.other_kabid)
    return dict(unit_code=division.code, parent_unit_code=division.parent.code, position_code=code,
                position_title=f"Analis {code}", superior_position_code=superior.position.code, **person)


def leaver_row(employee: Employee, leave_date: str, reason: str = "retirement") -> dict:
    unit = employee.position.unit
    return dict(unit_code=unit.code, parent_unit_code=unit.parent.code, nip=employee.nip, name=employee.name,
                leave_date=leave_date, leave_reason=reason)


def xlsx_of(rows: list[dict], *, dates_as_cells: bool = True) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(COLUMNS)
    for row in rows:
        values = []
        for column in COLUMNS:
            value = row.get(column, "")
            if dates_as_cells and column.endswith(("_start", "_end", "_date")) and value:
                value = datetime.datetime.fromisoformat(value)  # a date cell, as Excel keeps one
            values.append(value or None)
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def plans_of(employee: Employee) -> list[Plan]:
    return list(Plan.objects.filter(employee=employee).select_related("member").order_by("start"))


def state() -> dict:
    return {
        "employees": list(Employee.objects.order_by("nip").values()),
        "positions": list(Position.objects.order_by("code").values()),
        "plans": list(Plan.objects.order_by("pk").values("pk", "start", "end", "ended", "origin", "status", "employee")),
        "members": CycleMember.objects.count(),
        "events": AuditEvent.objects.count(),
        "tasks": OpenTask.objects.count(),
    }


# The organisation data ------------------------------------------------------------------------------


def newcomer_rows(org) -> list[dict]:
    return [
        new_seat(org, "FUNG-1", position_kind="fungsional", functional_level="Ahli Muda", nip=NEWCOMER, name="Nadia",
                 employment_type="cpns", grade="iii/a", position_start="2025-03-01"),
        new_seat(org, "PEL-1", nip=PPPK, name="Pandu", employment_type="pppk", grade="ix",
                 contract_start="2025-03-01", contract_end="2030-02-28", position_start="2025-03-01"),
        new_seat(org, "KASUBBAG-X", is_unit_leader="ya"),  # vacant: a unit leader is structural by default
    ]


def test_the_new_columns_are_written_to_the_employee_and_the_position(org):
    import_org(csv_text(newcomer_rows(org)))
    nadia = Employee.objects.select_related("position").get(nip=NEWCOMER)
    assert (nadia.employment_type, nadia.grade, nadia.position_start) == ("cpns", "III/a", D(2025, 3, 1))
    assert nadia.get_grade_label() == "Penata Muda, III/a"
    assert (nadia.position.kind, nadia.position.functional_level) == ("functional", "ahli_muda")
    pandu = Employee.objects.get(nip=PPPK)
    assert (pandu.employment_type, pandu.grade, pandu.contract_start, pandu.contract_end) == (
        "pppk", "IX", D(2025, 3, 1), D(2030, 2, 28))
    assert Position.objects.get(code="PEL-1").kind == "executor"
    assert Position.objects.get(code="KASUBBAG-X").kind == "structural"


def test_an_xlsx_file_is_read_into_the_same_rows_as_the_csv(org):
    import_org(csv_text(newcomer_rows(org)))
    before = state()
    report = import_org(xlsx_of(newcomer_rows(org)), filename="organisasi.xlsx")
    assert not report.changed()
    assert state() == before


def test_an_xlsx_file_alone_creates_what_the_csv_would(org):
    import_org(xlsx_of(newcomer_rows(org)), filename="organisasi.xlsx")
    pandu = Employee.objects.get(nip=PPPK)
    assert (pandu.grade, pandu.contract_end, pandu.position.code) == ("IX", D(2030, 2, 28), "PEL-1")


def test_a_blank_optional_column_keeps_what_is_recorded(org):
    import_org(csv_text(newcomer_rows(org)))
    bare = [{k: v for k, v in row.items() if k not in ("grade", "position_kind", "functional_level", "position_start",
                                                       "contract_start", "contract_end")} for row in newcomer_rows(org)]
    assert not import_org(csv_text(bare)).changed()
    assert Employee.objects.get(nip=PPPK).contract_end == D(2030, 2, 28)
    assert Position.objects.get(code="FUNG-1").functional_level == "ahli_muda"


def test_a_pppk_who_becomes_a_pns_loses_the_contract_and_the_grade_that_no_longer_fits(org):
    import_org(csv_text(newcomer_rows(org)))
    rows = newcomer_rows(org)
    rows[1] = {k: v for k, v in rows[1].items() if k not in ("grade", "contract_start", "contract_end")}
    rows[1]["employment_type"] = "pns"
    import_org(csv_text(rows))
    pandu = Employee.objects.get(nip=PPPK)
    assert (pandu.employment_type, pandu.grade, pandu.contract_start, pandu.contract_end) == ("pns", "", None, None)


BAD_VALUES = [
    ({"employment_type": "pns", "grade": "IX"}, "grade IX does not fit employment type pns"),
    ({"employment_type": "pppk", "grade": "III/a"}, "grade III/a does not fit employment type pppk"),
    ({"grade": "V/a"}, "grade V/a does not fit"),
    ({"employment_type": "honorer"}, "employment_type must be pns, cpns or pppk"),
    ({"employment_type": "pns", "contract_end": "2027-12-31"}, "contract_start and contract_end are for a PPPK only"),
    ({"employment_type": "pppk", "contract_start": "2026-06-01", "contract_end": "2026-05-31"},
     "contract_end 2026-05-31 is before contract_start 2026-06-01"),
    ({"position_start": "31/12/2026"}, "position_start “31/12/2026” is not a date (YYYY-MM-DD)"),
    ({"leave_date": "2026-11-31", "leave_reason": "retirement"}, "leave_date “2026-11-31” is not a date"),
    ({"leave_date": "2026-11-01", "leave_reason": "holiday"}, "leave_reason must be one of"),
    ({"leave_date": "2026-11-01"}, "a leave_date needs a leave_reason"),
    ({"leave_reason": "death"}, "a leave_reason needs a leave_date"),
    ({"position_kind": "honorary"}, "position_kind must be structural, functional or executor"),
    ({"position_kind": "structural", "functional_level": "ahli_muda"}, "functional_level is for a functional position only"),
    ({"functional_level": "ahli_muda"}, "functional_level is for a functional position only"),  # a new executor's seat
    ({"position_kind": "functional", "functional_level": "grand_master"}, "functional_level must be one of"),
]


@pytest.mark.parametrize("values, message", BAD_VALUES, ids=[message for _values, message in BAD_VALUES])
def test_a_bad_value_is_an_error_of_its_line_and_nothing_is_written(org, values, message):
    before = state()
    rows = [new_seat(org, "OK-1", nip="199303032017031003", name="Baik"), new_seat(org, "BAD-1", nip=NEWCOMER, name="Salah", **values)]
    with pytest.raises(ImportRejected) as rejected:
        import_org(csv_text(rows))
    assert [line for line, _message in rejected.value.errors] == [3]
    assert message in rejected.value.errors[0][1]
    assert state() == before


def test_a_contract_date_given_alone_is_ordered_against_the_recorded_one(org):
    import_org(csv_text(newcomer_rows(org)))
    rows = newcomer_rows(org)
    rows[1] = dict(rows[1], contract_start="", contract_end="2024-12-31")
    with pytest.raises(ImportRejected) as rejected:
        import_org(csv_text(rows))
    assert rejected.value.errors == [(3, "contract_end 2024-12-31 is before contract_start 2025-03-01")]


def test_a_nip_typed_as_a_number_in_the_worksheet_is_refused_with_its_line(org):
    book = openpyxl.load_workbook(io.BytesIO(xlsx_of(newcomer_rows(org))))
    book.active["I3"] = 199202022021212002  # the NIP column, as Excel would keep a number
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ImportRejected) as rejected:
        import_org(out.getvalue(), filename="organisasi.xlsx")
    assert [line for line, _message in rejected.value.errors] == [3]
    assert "format the column as text" in rejected.value.errors[0][1]
    assert not Employee.objects.filter(nip=NEWCOMER).exists()


@pytest.mark.parametrize("content, filename, message", [
    (b"PK\x03\x04 this is no archive", "organisasi.xlsx", "not a valid XLSX workbook"),
    (b"unit_code,unit_name\n", "organisasi.xlsx", "not a valid XLSX workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an old workbook", "organisasi.xls", "old Excel file (.xls)"),
    (b"\xff\xfe\x00garbled \x81 bytes", "organisasi.csv", "neither CSV UTF-8 nor XLSX"),
], ids=["broken-archive", "csv-named-xlsx", "xls", "not-utf8"])
def test_a_file_that_is_neither_csv_nor_xlsx_is_refused_with_a_clear_message(org, content, filename, message):
    with pytest.raises(ImportRejected) as rejected:
        import_org(content, filename=filename)
    assert len(rejected.value.errors) == 1 and rejected.value.errors[0][0] == 0
    assert message in rejected.value.errors[0][1]


def test_hr_uploads_an_xlsx_and_a_broken_one_is_a_400_with_the_reason(org):
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.force_login(org.hr)
    good = SimpleUploadedFile("organisasi.xlsx", xlsx_of(newcomer_rows(org)))
    response = browser.post("/hr/organisation/import/", {"file": good})
    assert response.status_code == 200 and Employee.objects.filter(nip=PPPK).exists()
    broken = SimpleUploadedFile("organisasi.xlsx", b"PK\x03\x04 broken")
    response = browser.post("/hr/organisation/import/", {"file": broken})
    assert response.status_code == 400 and "not a valid XLSX workbook" in response.content.decode()


# Joiners ---------------------------------------------------------------------------------------------


def test_a_new_person_in_a_unit_of_the_open_cycle_joins_it_from_the_start_in_the_position(org, cycle):
    report = import_org(csv_text([new_seat(org, "NEW-1", nip=NEWCOMER, name="Nadia", position_start="2026-07-15")]))
    assert report.joined == 1
    (plan,) = plans_of(Employee.objects.get(nip=NEWCOMER))
    assert (plan.cycle, plan.origin, plan.start, plan.end, plan.ended, plan.status) == (
        cycle, Plan.Origin.JOIN, D(2026, 7, 15), D(2026, 12, 31), "", Plan.Status.DRAFT)
    assert plan.member.rater == org.kabid and plan.member.unit == org.division
    assert OpenTask.objects.pending().filter(document_type="plan", document_id=plan.pk).exists()


@pytest.mark.parametrize("position_start, start", [("", TODAY), ("2019-04-01", D(2026, 1, 1))],
                         ids=["blank-is-today", "before-the-year-is-its-first-day"])
def test_a_joiner_without_a_date_in_the_year_joins_today_or_from_the_years_first_day(org, cycle, position_start, start):
    import_org(csv_text([new_seat(org, "NEW-1", nip=NEWCOMER, name="Nadia", position_start=position_start)]))
    assert [plan.start for plan in plans_of(Employee.objects.get(nip=NEWCOMER))] == [start]


def test_a_pppk_joiner_s_plan_runs_within_the_contract(org, cycle):
    import_org(csv_text([new_seat(org, "NEW-1", nip=PPPK, name="Pandu", employment_type="pppk", grade="V", position_start="2026-02-01",
                                  contract_start="2026-03-01", contract_end="2026-10-31")]))
    (plan,) = plans_of(Employee.objects.get(nip=PPPK))
    assert (plan.start, plan.end) == (D(2026, 3, 1), D(2026, 10, 31))


def test_a_new_person_outside_the_cycles_scope_does_not_join_it(org, cycle):
    secretariat = org.sekda.position.unit
    row = dict(unit_code=secretariat.code, parent_unit_code=secretariat.parent.code, position_code="SETDA-1",
               position_title="Staf", superior_position_code=org.sekda.position.code, nip=NEWCOMER, name="Nadia")
    report = import_org(csv_text([row]))
    assert report.joined == 0 and not Plan.objects.filter(employee__nip=NEWCOMER).exists()


def test_a_person_back_in_service_joins_again_after_the_plan_that_ended(org, cycle):
    import_org(csv_text([leaver_row(org.colleague, "2026-05-01", "transfer_out")]))
    back = row_of(org.colleague, position_start="2026-09-01")
    back["position_code"], back["position_title"] = "BACK-1", "Analis"
    report = import_org(csv_text([back]))
    assert report.joined == 1
    first, second = plans_of(org.colleague)
    assert (first.end, first.ended, second.start, second.origin) == (D(2026, 4, 30), "leave", D(2026, 9, 1), "join")


# Movers ----------------------------------------------------------------------------------------------


def test_a_person_in_a_new_position_moves_the_running_plan_on_the_start_in_the_position(org, cycle):
    row = new_seat(org, "MOVED-1", division=org.other_division, nip=org.employee.nip, name=org.employee.name,
                   position_start="2026-10-01")
    report = import_org(csv_text([row]))
    assert (report.moved, report.joined) == (1, 0)
    old, new = plans_of(org.employee)
    assert (old.end, old.ended, old.member.rater) == (D(2026, 9, 30), Plan.Ended.MOVE, org.kabid)
    assert (new.start, new.end, new.origin, new.unit, new.member.rater) == (
        D(2026, 10, 1), D(2026, 12, 31), Plan.Origin.MOVE, org.other_division, org.other_kabid)
    org.employee.refresh_from_db()
    assert (org.employee.position.code, org.employee.position_start) == ("MOVED-1", D(2026, 10, 1))


def test_a_move_without_a_date_moves_today(org, cycle):
    import_org(csv_text([new_seat(org, "MOVED-1", nip=org.employee.nip, name=org.employee.name)]))
    assert [plan.start for plan in plans_of(org.employee)] == [D(2026, 1, 1), TODAY]


def test_a_move_dated_on_or_before_the_plans_first_day_starts_the_new_plan_the_day_after(org, cycle):
    rows = [new_seat(org, "MOVED-1", nip=org.employee.nip, name=org.employee.name, position_start="2025-10-01")]
    assert import_org(csv_text(rows)).moved == 1
    old, new = plans_of(org.employee)
    assert (old.start, old.end, old.ended) == (datetime.date(2026, 1, 1), datetime.date(2026, 1, 1), "move")
    assert (new.start, new.origin, new.member.position.code) == (datetime.date(2026, 1, 2), "move", "MOVED-1")


def test_a_leave_dated_on_the_plans_first_day_ends_the_plan_after_that_day(org, cycle):
    assert import_org(csv_text([leaver_row(org.other_employee, "2026-01-01", "death")])).left == 1
    (plan,) = plans_of(org.other_employee)
    assert (plan.end, plan.ended, plan.leave_reason) == (datetime.date(2026, 1, 1), "leave", "death")


def test_a_move_out_of_the_cycles_scope_is_a_line_error_a_transfer_out_is_a_leave(org, cycle):
    secretariat = org.sekda.position.unit
    row = dict(unit_code=secretariat.code, parent_unit_code=secretariat.parent.code, position_code="SETDA-1",
               position_title="Staf", superior_position_code=org.sekda.position.code, nip=org.employee.nip,
               name=org.employee.name, position_start="2026-10-01")
    with pytest.raises(ImportRejected) as rejected:
        import_org(csv_text([row]))
    assert "a transfer out is a leave" in rejected.value.errors[0][1]
    assert len(plans_of(org.employee)) == 1


def test_a_mover_into_a_leavers_seat_rates_those_the_leaver_rated_and_a_joiner_below_it(org, cycle):
    seat = org.kabid.position
    rows = [
        leaver_row(org.kabid, "2026-11-01"),
        dict(row_of(org.kabid), nip=org.employee.nip, name=org.employee.name, position_start="2026-11-01"),
        new_seat(org, "NEW-1", nip=NEWCOMER, name="Nadia", position_start="2026-11-02"),
    ]
    report = import_org(csv_text(rows))
    assert (report.left, report.moved, report.joined) == (1, 1, 1)
    org.kabid.refresh_from_db()
    assert (org.kabid.is_active, org.kabid.position) == (False, None)
    assert Employee.objects.get(nip=org.employee.nip).position == seat
    _old, promoted = plans_of(org.employee)
    assert promoted.member.rater == org.kepala
    colleague_plan = Plan.objects.get(employee=org.colleague)
    assert colleague_plan.member.rater == org.employee
    (joiner_plan,) = plans_of(Employee.objects.get(nip=NEWCOMER))
    assert joiner_plan.member.rater == org.employee  # the mover holds the seat once, not twice


# Leavers ---------------------------------------------------------------------------------------------


def test_a_leaver_s_plan_ends_the_day_before_and_they_leave_the_organisation(org, cycle):
    report = import_org(csv_text([leaver_row(org.colleague, "2026-11-16", "retirement")]))
    assert report.left == 1
    (plan,) = plans_of(org.colleague)
    assert (plan.end, plan.ended, plan.leave_reason) == (D(2026, 11, 15), Plan.Ended.LEAVE, "retirement")
    assert not OpenTask.objects.pending().filter(document_type="plan", document_id=plan.pk).exists()
    org.colleague.refresh_from_db()
    assert (org.colleague.is_active, org.colleague.position) == (False, None)


def test_a_leaver_after_today_keeps_the_position_until_then(org, cycle):
    import_org(csv_text([leaver_row(org.colleague, "2026-12-20", "resignation")]))
    (plan,) = plans_of(org.colleague)
    assert (plan.end, plan.ended) == (D(2026, 12, 19), Plan.Ended.LEAVE)
    org.colleague.refresh_from_db()
    assert org.colleague.is_active and org.colleague.position is not None


def test_a_leaver_without_a_running_plan_is_simply_deactivated(org, cycle):
    report = import_org(csv_text([leaver_row(org.sekda, "2026-11-01", "retirement")]))  # outside the cycle's scope
    assert report.left == 1
    org.sekda.refresh_from_db()
    assert (org.sekda.is_active, org.sekda.position) == (False, None)
    assert not Plan.objects.filter(employee=org.sekda).exists()


# All or nothing, and again ---------------------------------------------------------------------------


def mixed_file(org) -> str:
    return csv_text([
        new_seat(org, "NEW-1", nip=NEWCOMER, name="Nadia", position_start="2026-07-15", grade="III/a"),
        new_seat(org, "MOVED-1", division=org.other_division, nip=org.employee.nip, name=org.employee.name,
                 position_start="2026-10-01"),
        leaver_row(org.colleague, "2026-11-16", "retirement"),
        leaver_row(org.other_employee, "2026-12-20", "contract_end"),
    ])


def test_an_error_in_one_row_writes_nothing_and_starts_no_plan(org, cycle):
    rows = [new_seat(org, "NEW-1", nip=NEWCOMER, name="Nadia", position_start="2026-07-15"),
            leaver_row(org.colleague, "2026-11-16", "retirement"),
            dict(unit_code=org.sekda.position.unit.code, parent_unit_code=org.sekda.position.unit.parent.code,
                 position_code="SETDA-1", position_title="Staf", superior_position_code=org.sekda.position.code,
                 nip=org.other_employee.nip, name=org.other_employee.name,
                 position_start="2026-10-01")]  # out of the cycle's scope: refused by the service
    before = state()
    with pytest.raises(ImportRejected) as rejected:
        import_org(csv_text(rows))
    assert [line for line, _message in rejected.value.errors] == [4]
    assert state() == before
    assert not Employee.objects.filter(nip=NEWCOMER).exists()
    org.colleague.refresh_from_db()
    assert org.colleague.is_active


def test_importing_the_same_file_again_changes_nothing_and_starts_no_second_plan(org, cycle):
    first = import_org(mixed_file(org))
    assert (first.joined, first.moved, first.left) == (1, 1, 2)
    before = state()
    again = import_org(mixed_file(org))
    assert not again.changed() and (again.joined, again.moved, again.left) == (0, 0, 0)
    assert state() == before


def test_the_command_line_imports_as_the_system_and_reports_the_people(org, cycle, tmp_path):
    path = tmp_path / "organisasi.xlsx"
    path.write_bytes(xlsx_of([new_seat(org, "NEW-1", nip=NEWCOMER, name="Nadia", position_start="2026-07-15")]))
    out = io.StringIO()
    call_command("import_org", str(path), stdout=out)
    assert "people: 1 joined, 0 moved, 0 left" in out.getvalue()
    (plan,) = plans_of(Employee.objects.get(nip=NEWCOMER))
    (started,) = AuditEvent.objects.filter(document_type="plan", document_id=plan.pk)
    assert started.actor is None and started.action == "join"


def test_hr_s_import_acts_as_hr_and_the_page_shows_the_people(org, cycle):
    browser = Client()
    browser.force_login(org.hr)
    response = browser.post("/hr/organisation/import/", {"file": SimpleUploadedFile("org.csv", mixed_file(org).encode())})
    assert response.status_code == 200
    people = response.content.decode().split('id="import-people"')[1].split("</table>")[0]
    assert "<td>1</td><td>1</td><td>2</td>" in people
    plan = plans_of(Employee.objects.get(nip=NEWCOMER))[0]
    assert AuditEvent.objects.get(document_type="plan", document_id=plan.pk).actor == org.hr


def test_a_change_of_grade_alone_neither_joins_nor_moves_anyone(org, cycle):
    person = EmployeeFactory(position__unit=org.division, position__superior=org.kabid.position)
    import_org(csv_text([row_of(person, grade="II/c")]))
    person.refresh_from_db()
    assert person.grade == "II/c" and not Plan.objects.filter(employee=person).exists()


# The synthetic organisation and the admin ------------------------------------------------------------


def test_the_synthetic_organisation_carries_grades_that_fit_and_kinds_of_position(db):
    from django.core.management import call_command as command

    from org.ranks import grade_fits

    command("generate_org", employees=400, prefix="RNK", stdout=io.StringIO())
    people = list(Employee.objects.filter(position__code__startswith="RNK-").select_related("position"))
    assert all(person.grade and grade_fits(person.employment_type, person.grade) for person in people)
    assert {person.employment_type for person in people} == {"pns", "cpns", "pppk"}
    assert all(person.contract_start.year < TODAY.year < person.contract_end.year for person in people if person.employment_type == "pppk")
    kinds = {(person.position.kind, person.position.is_unit_leader) for person in people}
    assert kinds == {("structural", True), ("functional", False), ("executor", False)}
    assert all(person.position.functional_level for person in people if person.position.kind == "functional")


def test_the_admin_shows_the_new_fields_of_an_employee_and_a_position(org, admin_client):
    org.employee.grade, org.employee.position_start = "III/b", D(2024, 1, 2)
    org.employee.save()
    listing = admin_client.get("/admin/org/employee/").content.decode()
    assert "Penata Muda Tingkat I, III/b" in listing
    form = admin_client.get(f"/admin/org/employee/{org.employee.pk}/change/").content.decode()
    assert 'name="contract_end"' in form and 'name="grade"' in form and 'name="position_start"' in form
    assert "jabatan pelaksana" in admin_client.get("/admin/org/position/").content.decode().lower()  # a kind, in either language


def pppk_joined_in_july(org, cycle) -> Employee:
    import_org(csv_text([new_seat(org, "PPPK-1", nip=NEWCOMER, name="Nadia", employment_type="pppk", grade="IX",
                                  contract_start="2026-07-01", contract_end="2030-06-30", position_start="2026-07-01")]))
    return Employee.objects.get(nip=NEWCOMER)


def test_a_blank_employment_type_keeps_a_pppks_type_grade_and_contract(org, cycle):
    pppk = pppk_joined_in_july(org, cycle)
    import_org(csv_text([row_of(pppk)]))
    pppk.refresh_from_db()
    assert (pppk.employment_type, pppk.grade, pppk.contract_end) == ("pppk", "IX", datetime.date(2030, 6, 30))
    with pytest.raises(ImportRejected) as rejected:  # a PNS grade on the recorded PPPK
        import_org(csv_text([row_of(pppk, grade="III/a")]))
    assert "does not fit employment type pppk" in rejected.value.errors[0][1]


def test_a_shortened_contract_ends_the_running_plan_with_it(org, cycle):
    pppk = pppk_joined_in_july(org, cycle)
    report = import_org(csv_text([row_of(pppk, contract_end="2026-08-31")]))
    (plan,) = plans_of(pppk)
    assert (report.left, plan.end, plan.ended, plan.leave_reason) == (1, datetime.date(2026, 8, 31), "leave", "contract_end")
    assert import_org(csv_text([row_of(pppk, contract_end="2026-08-31")])).left == 0  # again: nothing


def test_a_text_longer_than_the_database_holds_is_a_line_error(org, cycle):
    with pytest.raises(ImportRejected) as rejected:
        import_org(csv_text([new_seat(org, "NEW-1", nip=NEWCOMER, name="N" * 300, username="u" * 200)]))
    messages = " ".join(message for _line, message in rejected.value.errors)
    assert "name is longer than 255 characters" in messages and "username is longer than 150 characters" in messages


def test_hr_cannot_attach_an_existing_account_that_is_not_the_employees(org, cycle):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "x")
    with pytest.raises(ImportRejected) as rejected:
        import_org(csv_text([new_seat(org, "NEW-1", nip=NEWCOMER, name="Nadia", username="admin", email="hr@evil.test")]),
                   actor=org.hr)
    assert "existing account that is not this employee's" in rejected.value.errors[0][1]
    admin.refresh_from_db()
    assert admin.email == "admin@example.org" and not Employee.objects.filter(nip=NEWCOMER).exists()
