"""Moves and leaves recorded ahead of their date take effect on it (the daily sweep); a leaver's
departure reaches the plans they still have to evaluate; two moves into and out of one seat
leave its people rated whatever their order."""

import datetime

import pytest

from org.models import Employee
from processes.models import CycleMember, MonthlyReport, Plan
from processes.services.membership import changes_take_effect, member_join, member_leave, member_move
from processes.services.reports import report_for_month
from workflow.models import OpenTask

from ..api.helpers import at
from ..conftest import plan_of
from ..factories import EmployeeFactory, PositionFactory
from ..lifecycle import approve_all_plans

pytestmark = pytest.mark.django_db


def running_member(cycle, employee) -> CycleMember:
    return CycleMember.objects.select_related("cycle", "employee", "unit", "position").get(
        cycle=cycle, employee=employee, plan__ended="")


def test_a_move_recorded_ahead_takes_the_seat_on_its_date_and_not_before(org, cycle):
    new_seat = PositionFactory(unit=org.other_division, superior=org.other_kabid.position, is_unit_leader=False)
    with at(6, 2):
        member_move(member=running_member(cycle, org.kabid), position=new_seat, on=datetime.date(2026, 9, 1), actor=org.hr)
        org.kabid.refresh_from_db()
        # Until September the division head still holds the seat and rates the division's staff.
        assert org.kabid.position_id != new_seat.pk
        assert running_member(cycle, org.employee).rater_id == org.kabid.pk
        assert changes_take_effect() == {"moves": 0, "leaves": 0}
    with at(9, 1):
        assert changes_take_effect() == {"moves": 1, "leaves": 0}
        assert changes_take_effect() == {"moves": 0, "leaves": 0}  # once
    org.kabid.refresh_from_db()
    assert org.kabid.position_id == new_seat.pk
    assert running_member(cycle, org.employee).rater_id is None  # the seat is empty until HR fills it


def test_a_leave_recorded_ahead_keeps_the_reports_until_the_date_then_takes_the_leaver_out(org, cycle):
    with at(2, 1):
        approve_all_plans(cycle)
    with at(6, 2):
        member_leave(member=running_member(cycle, org.colleague), on=datetime.date(2026, 9, 1), reason="retirement", actor=org.hr)
        june, created = report_for_month(plan=plan_of(cycle, org.colleague), month=6, actor=org.colleague.user)
        assert created and june.status == MonthlyReport.Status.OPEN
        assert OpenTask.objects.filter(document_type="report", document_id=june.pk, closed_at__isnull=True).exists()
        assert Employee.objects.get(pk=org.colleague.pk).is_active
    with at(9, 2):
        assert changes_take_effect()["leaves"] == 1
    leaver = Employee.objects.get(pk=org.colleague.pk)
    assert (leaver.is_active, leaver.position_id) == (False, None)
    # Its June report waited for the employee until the date; now nobody asks them for it.
    assert not OpenTask.objects.filter(document_type="report", document_id=june.pk, closed_at__isnull=True).exists()


def test_a_division_head_who_leaves_hands_the_plans_they_still_evaluate_to_the_seat(org, cycle):
    with at(2, 1):
        approve_all_plans(cycle)
    other_seat = PositionFactory(unit=org.other_division, superior=org.other_kabid.position)
    with at(3, 1):
        member_move(member=running_member(cycle, org.employee), position=other_seat, on=datetime.date(2026, 3, 1), actor=org.hr)
    successor = EmployeeFactory(position=None)
    with at(9, 1):
        member_leave(member=running_member(cycle, org.kabid), on=datetime.date(2026, 9, 1), reason="retirement", actor=org.hr)
        Employee.objects.filter(pk=successor.pk).update(position=org.kabid.position)
    march_plan = Plan.objects.get(cycle=cycle, employee=org.employee, ended="move")
    # The plan that ended in February is still evaluated: not by a retiree.
    assert march_plan.member.rater_id != org.kabid.pk


def test_two_moves_through_one_seat_leave_its_people_rated_whatever_their_order(org, cycle):
    successor = EmployeeFactory(name="Kabid Baru", position__unit=org.other_division, position__superior=org.other_kabid.position)
    elsewhere = PositionFactory(unit=org.other_division, superior=org.other_kabid.position)
    with at(2, 1):
        member_join(cycle=cycle, employee=successor, start_on=datetime.date(2026, 2, 1), actor=org.hr)
    with at(6, 1):
        member_move(member=running_member(cycle, successor), position=org.kabid.position, on=datetime.date(2026, 6, 1),
                    actor=org.hr)
        member_move(member=running_member(cycle, org.kabid), position=elsewhere, on=datetime.date(2026, 6, 1), actor=org.hr)
    assert running_member(cycle, org.employee).rater_id == successor.pk
    assert running_member(cycle, org.colleague).rater_id == successor.pk
