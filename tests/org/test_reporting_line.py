"""The reporting line on a date: the holder of the superior position, or its Plt."""

from __future__ import annotations

import datetime

import pytest

from org.models import ActingAssignment
from org.services import ReportingLineResolver, acting_positions

from ..factories import ActingAssignmentFactory, EmployeeFactory, PositionFactory

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 3, 15)
DAY = datetime.timedelta(days=1)


def line_of(employee, on=ON):
    return ReportingLineResolver(on=on).resolve(employee.position_id)


@pytest.fixture
def vacant(org):
    """A vacant section head position under kabid, with one staff member below it."""
    head = PositionFactory(code="KASI-VACANT", unit=org.division, superior=org.kabid.position, is_unit_leader=True)
    staff = EmployeeFactory(name="Staf Seksi", position__unit=org.division, position__superior=head)
    return head, staff


def test_the_rater_is_the_holder_of_the_superior_position(org):
    line = line_of(org.employee)
    assert line.rater_id == org.kabid.pk


def test_the_raters_superior_is_the_holder_one_position_further_up(org):
    assert line_of(org.employee).raters_superior_id == org.kepala.pk
    assert line_of(org.kabid) == line_of(org.other_kabid)
    assert (line_of(org.kabid).rater_id, line_of(org.kabid).raters_superior_id) == (org.kepala.pk, org.sekda.pk)


def test_the_head_of_the_agency_is_rated_by_the_holder_above_it_outside_its_unit(org):
    line = line_of(org.kepala)
    assert line.rater_id == org.sekda.pk
    assert line.raters_superior_id is None


def test_the_top_of_the_hierarchy_has_no_rater(org):
    line = line_of(org.sekda)
    assert line.rater_id is None and line.raters_superior_id is None


def test_an_employee_without_a_position_has_no_rater(org):
    assert ReportingLineResolver(on=ON).resolve(None) == line_of(org.sekda)


def test_a_vacant_superior_position_falls_to_its_plt_on_the_date(org, vacant):
    head, staff = vacant
    plt = EmployeeFactory(name="Plt Kasi", position__unit=org.division, position__superior=org.kabid.position)
    ActingAssignmentFactory(employee=plt, position=head, kind=ActingAssignment.Kind.PLT, start=ON - 30 * DAY, end=ON)
    line = line_of(staff)
    assert line.rater_id == plt.pk
    assert line.raters_superior_id == org.kabid.pk


def test_an_expired_plt_is_not_the_rater(org, vacant):
    head, staff = vacant
    plt = EmployeeFactory(name="Plt Lama", position__unit=org.division)
    ActingAssignmentFactory(employee=plt, position=head, kind=ActingAssignment.Kind.PLT, start=ON - 60 * DAY, end=ON - DAY)
    assert line_of(staff).rater_id is None
    assert line_of(staff, on=ON - DAY).rater_id == plt.pk


def test_a_plt_that_starts_after_the_date_is_not_the_rater_yet(org, vacant):
    head, staff = vacant
    plt = EmployeeFactory(name="Plt Baru", position__unit=org.division)
    ActingAssignmentFactory(employee=plt, position=head, kind=ActingAssignment.Kind.PLT, start=ON + DAY, end=ON + 90 * DAY)
    assert line_of(staff).rater_id is None
    assert line_of(staff, on=ON + DAY).rater_id == plt.pk


def test_the_current_plt_is_chosen_over_an_expired_one(org, vacant):
    head, staff = vacant
    old = EmployeeFactory(name="Plt Lama", position__unit=org.division)
    new = EmployeeFactory(name="Plt Baru", position__unit=org.division)
    ActingAssignmentFactory(employee=new, position=head, kind=ActingAssignment.Kind.PLT, start=ON - DAY, end=ON + 30 * DAY)
    ActingAssignmentFactory(employee=old, position=head, kind=ActingAssignment.Kind.PLT, start=ON - 90 * DAY, end=ON - 2 * DAY)
    assert line_of(staff).rater_id == new.pk


def test_a_plt_does_not_replace_a_holder_who_is_in_post(org):
    plt = EmployeeFactory(name="Plt", position__unit=org.division)
    ActingAssignmentFactory(employee=plt, position=org.kabid.position, kind=ActingAssignment.Kind.PLT, start=ON, end=ON)
    assert line_of(org.employee).rater_id == org.kabid.pk


def test_a_plt_is_the_raters_superior_when_the_position_two_up_is_vacant(org):
    org.kepala.position = None
    org.kepala.save()
    plt = EmployeeFactory(name="Plt Kepala", position__unit=org.agency)
    ActingAssignmentFactory(employee=plt, position_id=org.kabid.position.superior_id, kind=ActingAssignment.Kind.PLT, start=ON, end=ON)
    line = line_of(org.employee)
    assert (line.rater_id, line.raters_superior_id) == (org.kabid.pk, plt.pk)


def test_an_inactive_holder_leaves_the_position_vacant(org):
    org.kabid.is_active = False
    org.kabid.save()
    assert line_of(org.employee).rater_id is None
    plt = EmployeeFactory(name="Plt Kabid", position__unit=org.division)
    ActingAssignmentFactory(employee=plt, position=org.kabid.position, kind=ActingAssignment.Kind.PLT, start=ON, end=ON)
    assert line_of(org.employee).rater_id == plt.pk


def test_a_superior_position_with_two_holders_leaves_the_rater_unresolved(org):
    EmployeeFactory(name="Kabid Kedua", position=org.kabid.position)
    line = line_of(org.employee)
    assert line.rater_id is None
    assert line.raters_superior_id == org.kepala.pk


def test_acting_positions_lists_the_positions_an_employee_acts_for_on_the_date(org, vacant):
    head, _ = vacant
    ActingAssignmentFactory(employee=org.colleague, position=head, kind=ActingAssignment.Kind.PLT, start=ON, end=ON + DAY)
    ActingAssignmentFactory(employee=org.colleague, position=org.kabid.position, kind=ActingAssignment.Kind.PLH,
                            start=ON - 10 * DAY, end=ON - DAY)
    assert acting_positions(org.colleague.pk, ON) == {head.pk}
    assert acting_positions(org.colleague.pk, ON - DAY) == {org.kabid.position_id}
    assert acting_positions(org.employee.pk, ON) == set()
