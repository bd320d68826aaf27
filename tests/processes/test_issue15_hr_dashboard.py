"""HR's dashboard counts and lists this month's joiners, movers and leavers of the units in HR's
scope, at a fixed cost in queries."""

import datetime

import pytest

from processes.models import CycleMember
from processes.selectors.hr_dashboard import people_changes
from processes.services.membership import member_join, member_leave, member_move

from ..factories import EmployeeFactory, PositionFactory, RoleAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db

DECEMBER = datetime.date(2026, 12, 2)


def member_of(cycle, employee) -> CycleMember:
    return CycleMember.objects.select_related("cycle", "employee", "unit").get(cycle=cycle, employee=employee, plan__ended="")


def join(org, cycle, on: datetime.date, name: str = "Pegawai Baru", unit=None):
    unit = unit or org.division
    superior = org.kabid.position if unit == org.division else org.other_kabid.position
    employee = EmployeeFactory(name=name, position__unit=unit, position__superior=superior)
    return member_join(cycle=cycle, employee=employee, start_on=on, actor=org.hr).started


def listed(changes: dict, kind: str) -> list[tuple[str, str, datetime.date]]:
    return [(plan.employee.name, plan.unit.name, plan.on) for plan in changes[kind]["rows"]]


def test_a_joiner_of_this_month_is_listed_with_unit_and_first_day(org, cycle):
    join(org, cycle, datetime.date(2026, 12, 1), "Pegawai Desember")
    join(org, cycle, datetime.date(2026, 11, 30), "Pegawai November")
    changes = people_changes(cycle, org.hr, today=DECEMBER)
    assert changes["month"] == datetime.date(2026, 12, 1)
    assert listed(changes, "joiners") == [("Pegawai Desember", "Bidang A", datetime.date(2026, 12, 1))]
    assert changes["joiners"]["count"] == 1
    assert (changes["movers"]["count"], changes["leavers"]["count"]) == (0, 0)


def test_a_mover_is_listed_under_the_new_unit_and_is_no_leaver(org, cycle):
    position = PositionFactory(unit=org.other_division, superior=org.other_kabid.position)
    member_move(member=member_of(cycle, org.colleague), position=position, on=datetime.date(2026, 12, 1), actor=org.hr)
    changes = people_changes(cycle, org.hr, today=DECEMBER)
    assert listed(changes, "movers") == [("Staf A2", "Bidang B", datetime.date(2026, 12, 1))]
    assert (changes["joiners"]["count"], changes["leavers"]["count"]) == (0, 0)


def test_hr_of_the_unit_left_sees_the_mover_out_and_hr_of_the_new_unit_the_mover_in(org, cycle):
    hr_of_a, hr_of_b = UserFactory(username="hr.bidang.a"), UserFactory(username="hr.bidang.b")
    RoleAssignmentFactory(user=hr_of_a, unit=org.division)
    RoleAssignmentFactory(user=hr_of_b, unit=org.other_division)
    position = PositionFactory(unit=org.other_division, superior=org.other_kabid.position)
    member_move(member=member_of(cycle, org.colleague), position=position, on=datetime.date(2026, 12, 1), actor=org.hr)
    assert listed(people_changes(cycle, hr_of_a, today=DECEMBER), "movers") == [("Staf A2", "Bidang A", datetime.date(2026, 12, 1))]
    assert listed(people_changes(cycle, hr_of_b, today=DECEMBER), "movers") == [("Staf A2", "Bidang B", datetime.date(2026, 12, 1))]
    assert people_changes(cycle, org.hr, today=DECEMBER)["movers"]["count"] == 1  # both units: one move


def test_a_leaver_counts_in_the_month_of_their_first_day_out(org, cycle):
    # Out from 1 December: the plan ended on 30 November, and the leave is December's.
    member_leave(member=member_of(cycle, org.other_employee), on=datetime.date(2026, 12, 1), reason="retirement", actor=org.hr)
    member_leave(member=member_of(cycle, org.colleague), on=datetime.date(2026, 11, 15), reason="resignation", actor=org.hr)
    december = people_changes(cycle, org.hr, today=DECEMBER)
    assert listed(december, "leavers") == [("Staf B1", "Bidang B", datetime.date(2026, 12, 1))]
    assert december["leavers"]["rows"][0].leave_reason == "retirement"
    november = people_changes(cycle, org.hr, today=datetime.date(2026, 11, 30))
    assert listed(november, "leavers") == [("Staf A2", "Bidang A", datetime.date(2026, 11, 15))]


def test_hr_sees_only_the_changes_of_units_in_their_scope(org, cycle):
    join(org, cycle, datetime.date(2026, 12, 1), "Pegawai A", unit=org.division)
    join(org, cycle, datetime.date(2026, 12, 1), "Pegawai B", unit=org.other_division)
    hr_of_b = UserFactory(username="hr.bidang.b")
    RoleAssignmentFactory(user=hr_of_b, unit=org.other_division)
    assert [name for name, _unit, _on in listed(people_changes(cycle, hr_of_b, today=DECEMBER), "joiners")] == ["Pegawai B"]
    assert [name for name, _unit, _on in listed(people_changes(cycle, org.hr, today=DECEMBER), "joiners")] == ["Pegawai A", "Pegawai B"]
    admin = UserFactory(username="admin", is_superuser=True)
    assert people_changes(cycle, admin, today=DECEMBER)["joiners"]["count"] == 2


def test_a_long_list_shows_its_first_rows_and_counts_them_all(org, cycle):
    for n in range(3):
        join(org, cycle, datetime.date(2026, 12, 1 + n), f"Pegawai {n}")
    changes = people_changes(cycle, org.hr, today=DECEMBER, limit=2)
    assert [name for name, _unit, _on in listed(changes, "joiners")] == ["Pegawai 0", "Pegawai 1"]
    assert changes["joiners"]["count"] == 3


def test_the_changes_cost_the_same_queries_however_many_people_changed(org, cycle, django_assert_num_queries):
    join(org, cycle, datetime.date(2026, 12, 1), "Pegawai 1")
    with django_assert_num_queries(4):  # HR's units, then one query per list
        people_changes(cycle, org.hr, today=DECEMBER)
    for n in range(2, 6):
        join(org, cycle, datetime.date(2026, 12, n), f"Pegawai {n}")
    member_leave(member=member_of(cycle, org.other_employee), on=datetime.date(2026, 12, 1), reason="death", actor=org.hr)
    with django_assert_num_queries(4):
        changes = people_changes(cycle, org.hr, today=DECEMBER)
        [(plan.employee.name, plan.unit.name) for kind in ("joiners", "leavers") for plan in changes[kind]["rows"]]
