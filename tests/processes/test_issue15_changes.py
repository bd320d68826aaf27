"""People who change during the year: join, move and leave an open cycle (issue 15,
docs/periods-and-changes.md).

Each change is tried on a day in the middle of a month, on the first day of a month and on the
last day of a plan. A change ends one plan the day before its date and (a join, a move) starts
the next on it; an employee's plans never overlap; each change is audited on the plan's and the
member record's chains and told to the people it concerns.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from notifications.models import Notification
from org.models import Employee
from processes.models import Cycle, CycleMember, Plan
from processes.rules import deadline
from processes.services.membership import current_plan, member_join, member_leave, member_move
from workflow.errors import Conflict, InvalidTransition, NotPermitted
from workflow.models import AuditEvent, OpenTask

from ..api.helpers import at
from ..conftest import plan_of, plans_of
from ..factories import EmployeeFactory, PositionFactory, RoleAssignmentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

D = datetime.date
MID_MONTH, MONTH_START, LAST_DAY = D(2026, 7, 15), D(2026, 8, 1), D(2026, 12, 31)
CHANGE_DAYS = pytest.mark.parametrize("on", [MID_MONTH, MONTH_START, LAST_DAY], ids=["mid-month", "month-start", "last-day"])


def day_before(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=1)


def newcomer(org, **fields) -> Employee:
    """Somebody appointed to the division after the cycle opened (rated by kabid)."""
    return EmployeeFactory(name="Pegawai Baru", position__unit=org.division, position__superior=org.kabid.position, **fields)


def post_in_other_division(org):
    """A vacant staff post in the other division, rated by other_kabid."""
    return PositionFactory(title="Analis Bidang B", unit=org.other_division, superior=org.other_kabid.position)


def city_hr(org):
    """HR of the whole government: of the cycle's agency and of the units outside it."""
    user = UserFactory(username="hr.kota")
    RoleAssignmentFactory(user=user, unit=org.government)
    return user


def member_of(cycle, employee) -> CycleMember:
    return plan_of(cycle, employee).member


def open_tasks(document) -> list[OpenTask]:
    return list(OpenTask.objects.pending().filter(document_type=document.document_type, document_id=document.pk))


def chain(document) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(document_type=document.document_type, document_id=document.pk).order_by("seq"))


def assert_never_overlap(cycle, employee) -> None:
    plans = plans_of(cycle, employee)
    for earlier, later in zip(plans, plans[1:]):
        assert later.start == earlier.end + datetime.timedelta(days=1), (earlier.start, earlier.end, later.start, later.end)


# Join -----------------------------------------------------------------------------------------


@CHANGE_DAYS
def test_a_joiner_gets_a_draft_plan_from_the_day_they_came_to_the_years_end(org, cycle, on):
    person = newcomer(org)
    with at(on.month, on.day):
        change = member_join(cycle=cycle, employee=person, start_on=on, actor=org.hr)

    plan = change.started
    assert change.ended is None
    assert (plan.start, plan.end, plan.origin, plan.ended, plan.status) == (on, D(2026, 12, 31), "join", "", "draft")
    assert (plan.member.unit, plan.member.position, plan.member.rater, plan.member.raters_superior) == (
        org.division, person.position, org.kabid, org.kepala)
    (task,) = open_tasks(plan)
    assert (task.role, task.actions, task.assignee) == ("employee", ["submit"], person.user)


def test_a_joiners_plan_is_due_within_the_rule_sets_days_for_a_new_plan(org, cycle):
    with at(7, 15):
        plan = member_join(cycle=cycle, employee=newcomer(org), start_on=MID_MONTH, actor=org.hr).started

    (task,) = open_tasks(plan)
    assert task.due_at.astimezone(datetime.timezone(datetime.timedelta(hours=7))).date() == D(2026, 8, 14)  # 30 days


def test_a_join_recorded_late_is_due_counted_from_the_day_it_was_recorded(org, cycle):
    with at(8, 10):
        plan = member_join(cycle=cycle, employee=newcomer(org), start_on=MID_MONTH, actor=org.hr).started

    (task,) = open_tasks(plan)
    assert task.due_at.astimezone(datetime.timezone(datetime.timedelta(hours=7))).date() == D(2026, 9, 9)


def test_the_days_for_a_new_plan_are_counted_as_the_rule_set_counts_task_deadlines(org, cycle):
    rules = {**cycle.rules, "new_plan_days": 10, "deadline_day_kind": "working",
             "objection_window": {**cycle.rules["objection_window"], "day_kind": "calendar"}}
    Cycle.objects.filter(pk=cycle.pk).update(rules=rules)
    cycle.refresh_from_db()
    with at(7, 15):
        plan = member_join(cycle=cycle, employee=newcomer(org), start_on=MID_MONTH, actor=org.hr).started

    (task,) = open_tasks(plan)
    assert task.due_at.astimezone(datetime.timezone(datetime.timedelta(hours=7))).date() == deadline(rules, MID_MONTH, 10) == D(2026, 7, 29)


def test_an_employee_with_a_plan_running_cannot_join_again(org, cycle):
    with pytest.raises(Conflict):
        member_join(cycle=cycle, employee=org.employee, start_on=MID_MONTH, actor=org.hr)
    assert len(plans_of(cycle, org.employee)) == 1


def test_a_leaver_who_comes_back_joins_again_after_their_plan_ended(org, cycle):
    with at(7, 20):
        member_leave(member=member_of(cycle, org.employee), on=MID_MONTH, reason="transfer_out", actor=org.hr)
        Employee.objects.filter(pk=org.employee.pk).update(is_active=True, position=org.employee.position)
        org.employee.refresh_from_db()
        with pytest.raises(Conflict):  # a day the old plan still covers
            member_join(cycle=cycle, employee=org.employee, start_on=D(2026, 7, 14), actor=org.hr)
    with at(10, 2):
        came_back = member_join(cycle=cycle, employee=org.employee, start_on=D(2026, 10, 1), actor=org.hr).started

    assert [(p.start, p.end) for p in plans_of(cycle, org.employee)] == [(D(2026, 1, 1), D(2026, 7, 14)), (D(2026, 10, 1), D(2026, 12, 31))]
    assert current_plan(cycle, org.employee.pk) == came_back


def test_a_joiner_appointed_to_a_vacant_head_seat_becomes_the_rater_of_its_people(org, cycle):
    with at(7, 1):
        member_leave(member=member_of(cycle, org.kabid), on=D(2026, 7, 1), reason="retirement", actor=org.hr)
    assert (member_of(cycle, org.employee).rater, member_of(cycle, org.colleague).rater) == (None, None)
    head = EmployeeFactory(name="Kabid A baru", position=org.kabid.position)
    with at(7, 15):
        change = member_join(cycle=cycle, employee=head, start_on=MID_MONTH, actor=org.hr)

    assert change.lines_corrected == 2
    assert (member_of(cycle, org.employee).rater, member_of(cycle, org.colleague).rater) == (head, head)
    assert change.started.member.rater == org.kepala
    corrected = chain(member_of(cycle, org.employee))[-1]
    assert corrected.action == "correct_reporting_line" and "took up the position" in corrected.comment


@pytest.mark.parametrize("start_on", [D(2025, 12, 31), D(2027, 1, 1), "2026-02-30", "", None, "15-07-2026"])
def test_a_join_needs_a_date_in_the_cycles_year(org, cycle, start_on):
    with pytest.raises(ValidationError) as refused:
        member_join(cycle=cycle, employee=newcomer(org), start_on=start_on, actor=org.hr)
    assert "start" in refused.value.message_dict


def test_only_an_active_employee_with_a_position_in_the_cycles_scope_joins(org, cycle):
    outside = EmployeeFactory(position__unit=org.sekda.position.unit)
    retired = newcomer(org, is_active=False)
    hr = city_hr(org)
    for person in (outside, retired):
        with pytest.raises(ValidationError) as refused:
            member_join(cycle=cycle, employee=person, start_on=MID_MONTH, actor=hr)
        assert "employee" in refused.value.message_dict
    assert not Plan.objects.filter(employee__in=[outside, retired]).exists()


def test_only_hr_of_the_employees_unit_adds_them(org, cycle):
    for somebody in (org.kabid.user, UserFactory()):
        with pytest.raises(NotPermitted):
            member_join(cycle=cycle, employee=newcomer(org), start_on=MID_MONTH, actor=somebody)


def test_nobody_joins_a_cycle_that_is_not_open(org, cycle):
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.CLOSED)
    cycle.refresh_from_db()
    with pytest.raises(InvalidTransition):
        member_join(cycle=cycle, employee=newcomer(org), start_on=MID_MONTH, actor=org.hr)


# Move -----------------------------------------------------------------------------------------


@CHANGE_DAYS
def test_a_move_ends_the_plan_the_day_before_and_starts_the_next_with_the_new_rater_and_unit(org, cycle, on):
    post = post_in_other_division(org)
    old = plan_of(cycle, org.employee)
    with at(on.month, on.day):
        change = member_move(member=old.member, position=post, on=on, actor=org.hr)

    ended, started = change.ended, change.started
    assert (ended.pk, ended.start, ended.end, ended.ended) == (old.pk, D(2026, 1, 1), day_before(on), "move")
    assert (started.start, started.end, started.origin, started.status) == (on, D(2026, 12, 31), "move", "draft")
    assert (started.member.unit, started.member.position, started.member.rater) == (org.other_division, post, org.other_kabid)
    # The old plan keeps its own record: rater, unit and position of its period.
    old.member.refresh_from_db()
    assert (old.member.unit, old.member.position, old.member.rater) == (org.division, org.employee.position, org.kabid)
    org.employee.refresh_from_db()
    assert (org.employee.position, org.employee.position_start) == (post, on)
    assert open_tasks(ended) == [] and [t.assignee for t in open_tasks(started)] == [org.employee.user]
    assert_never_overlap(cycle, org.employee)


def test_a_promotion_within_the_unit_starts_a_plan_rated_by_the_new_superior(org, cycle):
    head = PositionFactory(title="Kepala Subbidang", unit=org.division, superior=org.kabid.position, is_unit_leader=False)
    Employee.objects.filter(pk=org.colleague.pk).update(position=PositionFactory(unit=org.division, superior=head))
    with at(10, 1):
        change = member_move(member=member_of(cycle, org.employee), position=head, on=D(2026, 10, 1), actor=org.hr)
    assert (change.started.member.rater, change.started.member.unit) == (org.kabid, org.division)


def test_three_moves_in_a_year_make_four_plans_one_after_another(org, cycle):
    posts = [post_in_other_division(org), PositionFactory(unit=org.division, superior=org.kabid.position),
             post_in_other_division(org)]
    for post, on in zip(posts, [D(2026, 3, 1), D(2026, 7, 15), D(2026, 12, 31)]):
        with at(on.month, on.day):
            member_move(member=member_of(cycle, org.employee), position=post, on=on, actor=org.hr)

    plans = plans_of(cycle, org.employee)
    assert [(p.start, p.end, p.origin, p.ended) for p in plans] == [
        (D(2026, 1, 1), D(2026, 2, 28), "opening", "move"), (D(2026, 3, 1), D(2026, 7, 14), "move", "move"),
        (D(2026, 7, 15), D(2026, 12, 30), "move", "move"), (D(2026, 12, 31), D(2026, 12, 31), "move", ""),
    ]
    assert_never_overlap(cycle, org.employee)
    assert CycleMember.objects.filter(cycle=cycle, employee=org.employee).count() == 4


@pytest.mark.parametrize("on", [D(2026, 1, 1), D(2025, 12, 1), D(2027, 1, 1), "2026-13-01", None])
def test_a_move_needs_a_date_after_the_plans_first_day_and_within_it(org, cycle, on):
    with pytest.raises(ValidationError) as refused:
        member_move(member=member_of(cycle, org.employee), position=post_in_other_division(org), on=on, actor=org.hr)
    assert "date" in refused.value.message_dict
    assert len(plans_of(cycle, org.employee)) == 1 and not plan_of(cycle, org.employee).ended


def test_a_move_to_the_position_already_held_is_refused_a_change_of_rater_is_a_correction(org, cycle):
    with pytest.raises(ValidationError) as refused:
        member_move(member=member_of(cycle, org.employee), position=org.employee.position, on=MID_MONTH, actor=org.hr)
    assert "position" in refused.value.message_dict


def test_a_move_out_of_the_cycles_scope_is_a_leave(org, cycle):
    elsewhere = PositionFactory(unit=org.sekda.position.unit)
    with pytest.raises(ValidationError) as refused:
        member_move(member=member_of(cycle, org.employee), position=elsewhere, on=MID_MONTH, actor=city_hr(org))
    assert "position" in refused.value.message_dict


def test_a_plan_already_ended_cannot_be_moved_again(org, cycle):
    member = member_of(cycle, org.employee)
    with at(7, 15):
        member_move(member=member, position=post_in_other_division(org), on=MID_MONTH, actor=org.hr)
        with pytest.raises(Conflict):
            member_move(member=member, position=post_in_other_division(org), on=D(2026, 7, 20), actor=org.hr)
        with pytest.raises(Conflict):
            member_leave(member=member, on=D(2026, 7, 20), reason="retirement", actor=org.hr)
    assert len(plans_of(cycle, org.employee)) == 2
    assert_never_overlap(cycle, org.employee)


def test_only_hr_of_both_units_moves_an_employee(org, cycle):
    for somebody in (org.kabid.user, org.employee.user, UserFactory()):
        with pytest.raises(NotPermitted):
            member_move(member=member_of(cycle, org.employee), position=post_in_other_division(org), on=MID_MONTH, actor=somebody)
    assert len(plans_of(cycle, org.employee)) == 1


# Leave ----------------------------------------------------------------------------------------


@CHANGE_DAYS
def test_a_leave_ends_the_plan_the_day_before_and_starts_none(org, cycle, on):
    member = member_of(cycle, org.employee)
    with at(on.month, on.day):
        change = member_leave(member=member, on=on, reason="retirement", actor=org.hr)

    assert change.started is None
    assert (change.ended.end, change.ended.ended, change.ended.leave_reason) == (day_before(on), "leave", "retirement")
    assert open_tasks(change.ended) == []
    org.employee.refresh_from_db()
    assert (org.employee.is_active, org.employee.position) == (False, None)  # out of service from ``on``
    assert current_plan(cycle, org.employee.pk) is None


def test_a_leave_recorded_ahead_keeps_the_employee_in_the_organisation_until_then(org, cycle):
    with at(6, 1):
        member_leave(member=member_of(cycle, org.employee), on=D(2026, 9, 1), reason="retirement", actor=org.hr)
    org.employee.refresh_from_db()
    assert org.employee.is_active and org.employee.position is not None
    assert plan_of(cycle, org.employee).end == D(2026, 8, 31)


def test_a_pppk_leaves_the_day_after_the_contracts_last_day_and_the_plan_keeps_its_end(org, cycle):
    """The plan of a PPPK ends with the contract; "the first day out of service" is the day
    after, and the plan keeps the end it had."""
    contract = newcomer(org, employment_type="pppk", contract_start=D(2025, 9, 1), contract_end=D(2026, 8, 31))
    with at(3, 1):
        plan = member_join(cycle=cycle, employee=contract, start_on=D(2026, 3, 1), actor=org.hr).started
    assert plan.end == D(2026, 8, 31)
    with at(9, 2):
        with pytest.raises(ValidationError):  # later than the day after the plan's last day
            member_leave(member=plan.member, on=D(2026, 9, 2), reason="contract_end", actor=org.hr)
        change = member_leave(member=plan.member, on=D(2026, 9, 1), reason="contract_end", actor=org.hr)
    assert (change.ended.end, change.ended.ended, change.ended.leave_reason) == (D(2026, 8, 31), "leave", "contract_end")


@pytest.mark.parametrize("reason", ["", "pensiun", "move", None])
def test_a_leave_needs_a_known_reason(org, cycle, reason):
    with pytest.raises(ValidationError) as refused:
        member_leave(member=member_of(cycle, org.employee), on=MID_MONTH, reason=reason, actor=org.hr)
    assert "reason" in refused.value.message_dict
    assert not plan_of(cycle, org.employee).ended


@pytest.mark.parametrize("on", [D(2026, 1, 1), D(2027, 1, 2), "31/07/2026"])
def test_a_leave_needs_a_date_within_the_plan(org, cycle, on):
    with pytest.raises(ValidationError) as refused:
        member_leave(member=member_of(cycle, org.employee), on=on, reason="resignation", actor=org.hr)
    assert "date" in refused.value.message_dict


def test_only_hr_of_the_employees_unit_records_a_leave(org, cycle):
    for somebody in (org.kabid.user, org.employee.user, UserFactory()):
        with pytest.raises(NotPermitted):
            member_leave(member=member_of(cycle, org.employee), on=MID_MONTH, reason="resignation", actor=somebody)
    assert not plan_of(cycle, org.employee).ended


# Audit and notices ----------------------------------------------------------------------------


def test_a_move_is_audited_on_both_plans_and_the_new_member_record(org, cycle):
    post = post_in_other_division(org)
    old = plan_of(cycle, org.employee)
    with at(7, 15):
        change = member_move(member=old.member, position=post, on=MID_MONTH, actor=org.hr)

    closing = chain(old)[-1]
    assert (closing.action, closing.actor, closing.from_state, closing.to_state) == ("close_period", org.hr, "draft", "draft")
    assert closing.data["on"] == "2026-07-15"
    assert closing.data["changes"]["end"] == ["2026-12-31", "2026-07-14"] and closing.data["changes"]["ended"] == ["", "move"]
    (started,) = chain(change.started)
    assert (started.action, started.actor, started.data["previous_plan"], started.data["start"]) == ("move", org.hr, old.pk, "2026-07-15")
    (recorded,) = chain(change.started.member)
    assert (recorded.action, recorded.actor, recorded.data["position"], recorded.data["previous_plan"]) == ("move", org.hr, post.pk, old.pk)
    call_command("verify_audit")


def test_a_join_and_a_leave_are_audited_on_the_plan_and_member_chains(org, cycle):
    person = newcomer(org)
    with at(7, 15):
        plan = member_join(cycle=cycle, employee=person, start_on=MID_MONTH, actor=org.hr).started
    with at(11, 2):
        member_leave(member=plan.member, on=D(2026, 11, 1), reason="resignation", actor=org.hr)

    assert [e.action for e in chain(plan)] == ["join", "close_period"]
    assert chain(plan)[-1].data["changes"]["leave_reason"] == ["", "resignation"]
    assert [e.action for e in chain(plan.member)] == ["join"]
    call_command("verify_audit")


def test_the_organisation_import_changes_as_the_system(org, cycle):
    """``actor`` None is the command-line import: the change is recorded without a user."""
    with at(7, 15):
        change = member_move(member=member_of(cycle, org.employee), position=post_in_other_division(org), on=MID_MONTH, actor=None)
    assert chain(change.ended)[-1].actor is None and chain(change.started)[0].actor is None
    assert chain(change.started)[0].origin["channel"] == "system"


def test_the_employee_and_the_old_and_new_raters_hear_of_a_move(org, cycle):
    with at(7, 15):
        change = member_move(member=member_of(cycle, org.employee), position=post_in_other_division(org), on=MID_MONTH, actor=org.hr)

    told = set(Notification.objects.values_list("recipient__username", "event", "document_id"))
    assert {("employee", "plan.period_ended", change.ended.pk), ("kabid", "member.ended", change.ended.pk),
            ("employee", "plan.period_move", change.started.pk), ("other_kabid", "member.move", change.started.pk)} <= told
