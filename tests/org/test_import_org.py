"""Importing the organisation from CSV: all or nothing, idempotent, each error with its line."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from org.importer import COLUMNS, ImportRejected, import_org
from org.models import Employee, Position, Unit
from org.services import units_within

pytestmark = pytest.mark.django_db
User = get_user_model()

# Lines are numbered as the importer numbers them: the header is line 1.
GOOD = [
    # line 2: a staff member of a division described before the division's parent and own superior
    dict(unit_code="BID-1", unit_name="Bidang Satu", unit_kind="division", parent_unit_code="DINAS",
         position_code="STAF-1", position_title="Analis", superior_position_code="KABID-1",
         nip="199103052015032008", name="Putri Ayu", employment_type="pppk", username="staf.1",
         email="staf.1@example.test", language="en"),
    # line 3: the government, root of the tree, no positions
    dict(unit_code="PEMKOT", unit_name="Pemerintah Kota", unit_kind="government"),
    # line 4: the agency head
    dict(unit_code="DINAS", unit_name="Dinas Contoh", unit_kind="agency", parent_unit_code="PEMKOT",
         position_code="KADIS", position_title="Kepala Dinas", is_unit_leader="ya",
         nip="197208171998031006", name="Siti Rahma", username="kadis"),
    # line 5: the division head, superior of STAF-1 (line 2)
    dict(unit_code="BID-1", position_code="KABID-1", position_title="Kepala Bidang Satu",
         superior_position_code="KADIS", is_unit_leader="1", nip="198002142006041007", name="Andi Pratama",
         username="kabid.1"),
    # line 6: a second staff member, no user account
    dict(unit_code="BID-1", position_code="STAF-2", position_title="Pranata", superior_position_code="KABID-1",
         nip="199207142019031009", name="Budi Santoso"),
    # line 7: a section with a vacant head position
    dict(unit_code="SUB-1", unit_name="Subbagian Umum", unit_kind="section", parent_unit_code="BID-1",
         position_code="KASUBBAG", position_title="Kepala Subbagian", superior_position_code="KABID-1"),
]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def csv_text(rows: list[dict], columns=COLUMNS) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def write(tmp_path, rows: list[dict], name="org.csv", columns=COLUMNS):
    path = tmp_path / name
    path.write_text(csv_text(rows, columns), encoding="utf-8")
    return path


def run(path):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_org", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in (Unit, Position, Employee, User)}


def snapshot():
    return {
        "units": list(Unit.objects.order_by("code").values()),
        "positions": list(Position.objects.order_by("code").values()),
        "employees": list(Employee.objects.order_by("nip").values()),
        "users": list(User.objects.order_by("username").values()),
    }


def test_a_good_file_builds_the_unit_tree_with_materialised_paths(tmp_path):
    run(write(tmp_path, GOOD))
    units = {u.code: u for u in Unit.objects.select_related("parent")}
    assert {code: u.path for code, u in units.items()} == {
        "PEMKOT": "/PEMKOT/", "DINAS": "/PEMKOT/DINAS/", "BID-1": "/PEMKOT/DINAS/BID-1/",
        "SUB-1": "/PEMKOT/DINAS/BID-1/SUB-1/",
    }
    assert units["BID-1"].parent == units["DINAS"] and units["PEMKOT"].parent is None
    assert units["BID-1"].name == "Bidang Satu" and units["BID-1"].kind == Unit.Kind.DIVISION
    assert units["PEMKOT"].kind == Unit.Kind.GOVERNMENT and units["SUB-1"].kind == Unit.Kind.SECTION


def test_a_good_file_links_positions_to_superiors_even_when_the_superior_comes_on_a_later_line(tmp_path):
    run(write(tmp_path, GOOD))
    positions = {p.code: p for p in Position.objects.select_related("unit", "superior")}
    assert {code: (p.superior.code if p.superior else None) for code, p in positions.items()} == {
        "KADIS": None, "KABID-1": "KADIS", "STAF-1": "KABID-1", "STAF-2": "KABID-1", "KASUBBAG": "KABID-1",
    }
    assert positions["STAF-1"].unit.code == "BID-1" and positions["KASUBBAG"].unit.code == "SUB-1"
    assert {code for code, p in positions.items() if p.is_unit_leader} == {"KADIS", "KABID-1"}
    assert not positions["KASUBBAG"].holders.exists()


def test_a_good_file_creates_employees_with_user_accounts_that_have_no_password_yet(tmp_path):
    run(write(tmp_path, GOOD))
    staff = Employee.objects.select_related("user", "position").get(nip="199103052015032008")
    assert staff.name == "Putri Ayu" and staff.position.code == "STAF-1"
    assert staff.employment_type == Employee.EmploymentType.PPPK and staff.language == "en"
    assert staff.user.username == "staf.1" and staff.user.email == "staf.1@example.test"
    assert not staff.user.has_usable_password()
    kadis = Employee.objects.get(nip="197208171998031006")
    assert kadis.employment_type == Employee.EmploymentType.PNS and kadis.language == "id"
    assert Employee.objects.get(nip="199207142019031009").user is None
    assert set(User.objects.values_list("username", flat=True)) == {"staf.1", "kadis", "kabid.1"}


def test_the_command_reports_what_it_created(tmp_path):
    out, err = run(write(tmp_path, GOOD))
    assert "units: 4 created, 0 updated, 0 unchanged" in out
    assert "positions: 5 created, 0 updated, 0 unchanged" in out
    assert "employees: 4 created, 0 updated, 0 unchanged" in out
    assert err == ""


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    path = write(tmp_path, GOOD)
    run(path)
    before = snapshot()
    out, _ = run(path)
    assert "units: 0 created, 0 updated, 4 unchanged" in out
    assert "positions: 0 created, 0 updated, 5 unchanged" in out
    assert "employees: 0 created, 0 updated, 4 unchanged" in out
    report = import_org(csv_text(GOOD))
    assert not report.changed()
    assert snapshot() == before


def test_a_changed_name_updates_exactly_that_employee(tmp_path):
    run(write(tmp_path, GOOD))
    before = snapshot()
    rows = [dict(row) for row in GOOD]
    rows[4]["name"] = "Budi Santoso, A.Md."
    report = import_org(csv_text(rows))
    assert report.updated == {"employees": 1}
    assert sum(report.created.values()) == 0
    assert report.unchanged["employees"] == 3
    after = snapshot()
    changed = [b for b, a in zip(before["employees"], after["employees"]) if a != b]
    assert [e["nip"] for e in changed] == ["199207142019031009"]
    assert Employee.objects.get(nip="199207142019031009").name == "Budi Santoso, A.Md."
    assert {k: v for k, v in after.items() if k != "employees"} == {k: v for k, v in before.items() if k != "employees"}


BAD = [
    GOOD[1],
    GOOD[2],
    # line 4: bad NIP (month 13)
    dict(unit_code="DINAS", position_code="P-1", position_title="Staf", superior_position_code="KADIS",
         nip="198513012010011001", name="Salah Tanggal"),
    # line 5: unknown parent unit
    dict(unit_code="BID-X", unit_name="Bidang X", parent_unit_code="NOWHERE"),
    # line 6: unknown superior position
    dict(unit_code="DINAS", position_code="P-2", position_title="Staf", superior_position_code="GHOST",
         nip="199001012015011001", name="Tanpa Atasan"),
    # line 7: duplicate NIP (of line 4's employee)
    dict(unit_code="DINAS", position_code="P-3", position_title="Staf", superior_position_code="KADIS",
         nip="197208171998031006", name="Kembar"),
    # line 8: missing name
    dict(unit_code="DINAS", position_code="P-4", position_title="Staf", superior_position_code="KADIS",
         nip="199202022016022002", name=""),
    # line 9: bad employment type
    dict(unit_code="DINAS", position_code="P-5", position_title="Staf", superior_position_code="KADIS",
         nip="199303032017031003", name="Honorer", employment_type="honorer"),
    # line 10: the unit named differently from line 3
    dict(unit_code="DINAS", unit_name="Dinas Lain", position_code="P-6", position_title="Staf",
         superior_position_code="KADIS", nip="199404042018041004", name="Nama Unit"),
]


def test_a_file_with_several_errors_is_rejected_whole_names_each_line_and_writes_nothing(org, tmp_path):
    before = counts()
    err = io.StringIO()
    with pytest.raises(CommandError, match="7 error"):
        call_command("import_org", str(write(tmp_path, BAD)), stdout=io.StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    expected = {
        4: "NIP 198513012010011001", 5: "parent unit NOWHERE", 6: "superior position GHOST",
        7: "NIP 197208171998031006 appears again (first on line 3)", 8: "name is required",
        9: "employment_type must be pns, cpns or pppk", 10: "Dinas Lain",
    }
    assert len(lines) == len(expected)
    for number, fragment in expected.items():
        assert any(line.startswith(f"line {number}: ") and fragment in line for line in lines), (number, lines)
    assert counts() == before
    assert not Unit.objects.filter(code__in=["PEMKOT", "DINAS"]).exists()


def test_the_service_rejects_a_bad_file_with_every_error_sorted_by_line(db):
    with pytest.raises(ImportRejected) as rejected:
        import_org(csv_text(BAD))
    assert [line for line, _ in rejected.value.errors] == [4, 5, 6, 7, 8, 9, 10]
    assert counts() == {"Unit": 0, "Position": 0, "Employee": 0, "User": 0}


def test_a_file_missing_required_columns_is_rejected_with_a_clear_message(tmp_path):
    columns = [c for c in COLUMNS if c not in ("nip", "superior_position_code")]
    path = write(tmp_path, GOOD, columns=columns)
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_org", str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().strip() == "line 1: missing columns: superior_position_code, nip"
    with pytest.raises(ImportRejected) as rejected:
        import_org(csv_text(GOOD, columns))
    assert rejected.value.errors == [(1, "missing columns: superior_position_code, nip")]
    assert counts() == {"Unit": 0, "Position": 0, "Employee": 0, "User": 0}


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(csv_text(GOOD).replace("Putri", "Putr\u00ed").encode("latin-1"))
    with pytest.raises(CommandError, match="cannot read"):
        run(path)
    assert counts()["Unit"] == 0


def test_a_username_already_used_by_another_employee_is_refused(org, tmp_path):
    before = counts()
    rows = [dict(unit_code="DINAS", unit_name="Dinas", position_code="P-9", position_title="Staf",
                 nip="199505052019051005", name="Pendatang", username=org.kabid.user.username)]
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_org", str(write(tmp_path, rows)), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().strip() == "line 2: username kabid belongs to another employee"
    assert counts() == before
    org.kabid.refresh_from_db()
    assert org.kabid.user.username == "kabid"


def test_two_employees_in_one_file_cannot_share_a_username(db):
    rows = [dict(GOOD[2]), dict(GOOD[3], username="kadis")]
    with pytest.raises(ImportRejected) as rejected:
        import_org(csv_text(rows))
    assert {line for line, message in rejected.value.errors if "more than one employee" in message} == {2, 3}


def test_moving_a_unit_to_another_parent_repaths_its_subtree(tmp_path):
    rows = GOOD + [dict(unit_code="DINAS-2", unit_name="Dinas Dua", unit_kind="agency", parent_unit_code="PEMKOT")]
    run(write(tmp_path, rows))
    moved = [dict(row) for row in rows]
    moved[0]["parent_unit_code"] = "DINAS-2"  # BID-1, with SUB-1 below it, moves to DINAS-2
    report = import_org(csv_text(moved))
    assert report.updated == {"units": 1}
    paths = dict(Unit.objects.values_list("code", "path"))
    assert paths["BID-1"] == "/PEMKOT/DINAS-2/BID-1/"
    assert paths["SUB-1"] == "/PEMKOT/DINAS-2/BID-1/SUB-1/"
    assert paths["DINAS"] == "/PEMKOT/DINAS/"
    assert set(units_within([Unit.objects.get(code="DINAS-2")]).values_list("code", flat=True)) == {
        "DINAS-2", "BID-1", "SUB-1"
    }
    assert set(units_within([Unit.objects.get(code="DINAS")]).values_list("code", flat=True)) == {"DINAS"}


def test_a_unit_moved_under_a_unit_repathed_earlier_in_the_same_import_gets_the_new_path(tmp_path):
    rows = GOOD + [
        dict(unit_code="DINAS-2", unit_name="Dinas Dua", unit_kind="agency", parent_unit_code="PEMKOT"),
        dict(unit_code="UPT", unit_name="UPT", unit_kind="section", parent_unit_code="PEMKOT"),
    ]
    run(write(tmp_path, rows))
    # BID-1 moves to DINAS-2 (its child SUB-1 is re-pathed); UPT moves under SUB-1 in the same file.
    moved = [dict(unit_code="BID-1", unit_name="Bidang Satu", parent_unit_code="DINAS-2"),
             dict(unit_code="UPT", unit_name="UPT", parent_unit_code="SUB-1")]
    import_org(csv_text(moved))
    upt = Unit.objects.select_related("parent").get(code="UPT")
    assert upt.path == upt.parent.path + "UPT/" == "/PEMKOT/DINAS-2/BID-1/SUB-1/UPT/"


def test_moving_a_unit_under_its_own_descendant_in_the_database_is_refused(tmp_path):
    run(write(tmp_path, GOOD))
    before = snapshot()
    with pytest.raises(ImportRejected) as rejected:
        import_org(csv_text([dict(unit_code="BID-1", unit_name="Bidang Satu", parent_unit_code="SUB-1")]))
    assert rejected.value.errors[0][0] == 2
    assert snapshot() == before
