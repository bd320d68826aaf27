"""What happens to an employee's documents when they move or leave (issue 15).

The old plan keeps its reports up to the day before the change and is evaluated for its period
by its own rater; the new plan has its own reports and evaluations. A change while a plan is
submitted, while a report is returned or while an objection is open leaves nothing half done; a
leaver's own tasks close and the tasks they held as the rater of others move with those people's
reporting lines. Acting officials keep working across a change.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from processes.models import Assessment, Cycle, MonthlyReport, Plan
from processes.services.cycles import cycle_create, cycle_open
from processes.services.membership import member_join, member_leave, member_move
from processes.services.objections import objection_decide, objection_explain, objection_file
from processes.services.reports import evidence_add, report_for_month, reports_open_month
from processes.services.scoring import assessment_rate
from workflow.engine import available_actions, perform
from workflow.errors import InvalidTransition
from workflow.models import OpenTask

from ..api.helpers import at, issued_evaluation, realise
from ..conftest import fill_plan, plan_of, plans_of
from ..factories import ActingAssignmentFactory, EmployeeFactory, PositionFactory
from ..lifecycle import approve_all_plans, rate_all, set_unit_predicates, start_evaluation
from .conftest import assessment_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

D = datetime.date


def post_in_other_division(org):
    return PositionFactory(title="Analis Bidang B", unit=org.other_division, superior=org.other_kabid.position)


def pending_tasks(document) -> list[OpenTask]:
    return list(OpenTask.objects.pending().filter(document_type=document.document_type, document_id=document.pk))


def assignees(document) -> list:
    return [task.assignee for task in pending_tasks(document)]


def months_reported(plan) -> list[int]:
    return sorted(MonthlyReport.objects.filter(plan=plan).values_list("month", flat=True))


def sweep(*months: int) -> None:
    for month in months:
        reports_open_month(year=2026, month=month)


def move_employee(org, cycle, on: datetime.date, position=None):
    with at(on.month, on.day):
        return member_move(member=plan_of(cycle, org.employee).member, position=position or post_in_other_division(org), on=on,
                           actor=org.hr)


# A change while a document waits ----------------------------------------------------------------


def test_a_move_while_the_plan_is_submitted_closes_its_approval_and_the_rater_can_no_longer_approve(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    perform(plan, "submit", actor=org.employee.user)
    assert assignees(plan) == [org.kabid.user]

    change = move_employee(org, cycle, D(2026, 3, 1))

    assert pending_tasks(change.ended) == []
    assert available_actions(change.ended, org.kabid.user) == []
    with pytest.raises(InvalidTransition, match="period has ended"):
        perform(change.ended, "approve", actor=org.kabid.user)
    with pytest.raises(InvalidTransition):
        perform(change.ended, "return", actor=org.kabid.user, comment="Perbaiki")
    assert Plan.objects.get(pk=change.ended.pk).status == "submitted"
    assert assignees(change.started) == [org.employee.user]  # the new plan waits for the employee


def test_a_move_while_a_report_of_the_old_period_is_returned_leaves_it_to_finish_with_the_old_rater(org, cycle):
    approve_all_plans(cycle)
    with at(8, 2):
        sweep(7)
        report = MonthlyReport.objects.get(plan=plan_of(cycle, org.employee), month=7)
        realise(report)
        perform(report, "submit", actor=org.employee.user)
        perform(report, "return", actor=org.kabid.user, comment="Lengkapi bukti dukung")
    change = move_employee(org, cycle, D(2026, 8, 1))

    assert assignees(report) == [org.employee.user]  # July is the old plan's: the employee corrects it
    with at(8, 5):
        perform(report, "submit", actor=org.employee.user)
        assert assignees(report) == [org.kabid.user]
        accepted = perform(report, "accept", actor=org.kabid.user).document
    assert (accepted.status, accepted.plan_id, accepted.member.rater) == ("accepted", change.ended.pk, org.kabid)


def test_a_move_closes_a_returned_report_of_a_month_after_the_old_plan_ended(org, cycle):
    approve_all_plans(cycle)
    with at(9, 2):
        report, _created = report_for_month(plan=plan_of(cycle, org.employee), month=9, actor=org.employee.user)
        realise(report)
        perform(report, "submit", actor=org.employee.user)
        perform(report, "return", actor=org.kabid.user, comment="Lengkapi bukti dukung")
        move_employee(org, cycle, D(2026, 9, 1))

        assert pending_tasks(report) == [] and available_actions(MonthlyReport.objects.get(pk=report.pk), org.employee.user) == []
        with pytest.raises(InvalidTransition, match="period ended"):
            perform(report, "submit", actor=org.employee.user)
        with pytest.raises(InvalidTransition, match="period ended"):  # nor changed
            realise(report, "3 dokumen")
        with pytest.raises(InvalidTransition, match="period ended"):
            evidence_add(report=report, actor=org.employee.user, url="https://example.test/bukti")


def test_a_submitted_report_after_the_old_plans_end_cannot_be_returned_into_nowhere(org, cycle):
    """Returned, it would wait for an employee the report no longer asks anything of."""
    approve_all_plans(cycle)
    with at(9, 2):
        report, _created = report_for_month(plan=plan_of(cycle, org.employee), month=9, actor=org.employee.user)
        realise(report)
        perform(report, "submit", actor=org.employee.user)
        move_employee(org, cycle, D(2026, 9, 1))
        assert available_actions(MonthlyReport.objects.get(pk=report.pk), org.kabid.user) == ["accept"]
        with pytest.raises(InvalidTransition):
            perform(report, "return", actor=org.kabid.user, comment="Perbaiki")
        assert perform(report, "accept", actor=org.kabid.user).document.status == "accepted"


@pytest.fixture
def quarterly(org, django_capture_on_commit_callbacks):
    """An opened quarterly cycle for the agency (evaluated Q1 to Q4 and the year)."""
    created = cycle_create(actor=org.hr, name="Kinerja 2026 triwulanan", year=2026, units=[org.agency],
                           plan_deadline=D(2026, 1, 31), period_type=Cycle.PeriodType.QUARTERLY)
    with django_capture_on_commit_callbacks(execute=True):
        cycle_open(cycle=created, actor=org.hr)
    created.refresh_from_db()
    return created


def test_a_move_while_an_objection_is_open_leaves_the_objection_to_be_explained_and_decided(org, quarterly):
    with at(7, 1):
        evaluation = issued_evaluation(org, quarterly, period="Q2")
        assessment = assessment_of(evaluation, org.employee)
        objection = objection_file(assessment=assessment, actor=org.employee.user, reasons="Capaian saya sesuai target")
    move_employee(org, quarterly, D(2026, 7, 2))

    with at(7, 3):
        objection_explain(objection=objection, actor=org.kabid.user, explanation="Bukti dukung kurang")
        objection_explain(objection=objection, actor=org.employee.user, explanation="Bukti sudah diunggah")
        decided = objection_decide(objection=objection, actor=org.kepala.user, outcome="changed", results_rating="above",
                                   reasons="Bukti dukung lengkap")
    assert decided.status == "decided"
    assessment.refresh_from_db()
    assert (assessment.status, assessment.results_rating, assessment.member.rater) == ("final", "above", org.kabid)


# A leaver with open tasks ---------------------------------------------------------------------


@pytest.fixture
def waiting_on_kabid(org, cycle, approved_chain):
    """kabid's own July report is open; the employee's plan waits for kabid's approval."""
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    perform(plan, "submit", actor=org.employee.user)
    with at(7, 10):
        kabid_report, _created = report_for_month(plan=plan_of(cycle, org.kabid), month=7, actor=org.kabid.user)
    return {"plan": plan, "kabid_report": kabid_report}


def test_a_leavers_own_tasks_close_and_their_tasks_as_rater_move_to_the_acting_official_of_their_seat(org, cycle, waiting_on_kabid):
    plt = EmployeeFactory(name="Plt Kabid A", position__unit=org.agency, position__superior=org.kepala.position)
    ActingAssignmentFactory(employee=plt, position=org.kabid.position, kind="plt", start=D(2026, 7, 1), end=D(2026, 12, 31))
    with at(7, 15):
        change = member_leave(member=plan_of(cycle, org.kabid).member, on=D(2026, 7, 15), reason="retirement", actor=org.hr)

    assert pending_tasks(change.ended) == [] and pending_tasks(waiting_on_kabid["kabid_report"]) == []
    assert change.lines_corrected == 2  # employee and colleague
    assert plan_of(cycle, org.employee).member.rater == plt
    assert assignees(waiting_on_kabid["plan"]) == [plt.user]
    with at(7, 16):
        assert perform(waiting_on_kabid["plan"], "approve", actor=plt.user).document.status == "approved"


def test_a_leavers_tasks_as_rater_wait_for_hr_when_their_seat_has_nobody(org, cycle, waiting_on_kabid):
    with at(7, 15):
        change = member_leave(member=plan_of(cycle, org.kabid).member, on=D(2026, 7, 15), reason="death", actor=org.hr)

    member = plan_of(cycle, org.employee).member
    assert (member.rater, change.lines_corrected) == (None, 2)
    (task,) = pending_tasks(waiting_on_kabid["plan"])
    assert (task.role, task.assignee, task.unit) == ("rater", None, org.division)  # HR's overdue list shows it


def test_a_movers_people_are_rated_by_whoever_takes_the_seat(org, cycle, waiting_on_kabid):
    """kabid is promoted away; the employee's plan was waiting for kabid: it now waits for the
    seat's new holder, who is moved into it the same day."""
    promoted = PositionFactory(title="Sekretaris Badan", unit=org.agency, superior=org.kepala.position)
    with at(7, 15):
        member_move(member=plan_of(cycle, org.kabid).member, position=promoted, on=D(2026, 7, 15), actor=org.hr)
        assert plan_of(cycle, org.employee).member.rater is None
        successor = member_move(member=plan_of(cycle, org.other_employee).member, position=org.kabid.position,
                                on=D(2026, 7, 15), actor=org.hr)

    assert successor.started.member.rater == org.kepala
    assert plan_of(cycle, org.employee).member.rater == org.other_employee
    assert assignees(waiting_on_kabid["plan"]) == [org.other_employee.user]


def test_a_leavers_submitted_report_still_waits_for_the_rater_and_their_open_ones_close(org, cycle):
    approve_all_plans(cycle)
    with at(8, 2):
        sweep(6, 7)
        june = MonthlyReport.objects.get(plan=plan_of(cycle, org.employee), month=6)
        realise(june)
        perform(june, "submit", actor=org.employee.user)
        july = MonthlyReport.objects.get(plan=plan_of(cycle, org.employee), month=7)
        member_leave(member=plan_of(cycle, org.employee).member, on=D(2026, 8, 1), reason="resignation", actor=org.hr)

        assert pending_tasks(july) == [] and assignees(june) == [org.kabid.user]
        with pytest.raises(InvalidTransition):
            realise(july)
        assert perform(june, "accept", actor=org.kabid.user).document.status == "accepted"


# Reports and evaluations of both plans ----------------------------------------------------------


@pytest.mark.parametrize("on, old_months, new_months", [
    (D(2026, 7, 15), [6, 7], [7, 8]),  # the middle of July: July is reported on both plans
    (D(2026, 8, 1), [6, 7], [8]),  # the first of August: the old plan ends with July
])
def test_each_plan_reports_the_months_its_period_touches(org, cycle, on, old_months, new_months):
    approve_all_plans(cycle)
    sweep(6)
    change = move_employee(org, cycle, on)
    approve_all_plans(cycle)
    sweep(7, 8)

    assert months_reported(change.ended) == old_months
    assert months_reported(change.started) == new_months
    assert {r.member_id for r in MonthlyReport.objects.filter(plan=change.started)} == {change.started.member_id}


def test_a_leavers_plan_starts_no_more_reports(org, cycle):
    approve_all_plans(cycle)
    sweep(6)
    with at(7, 15):
        change = member_leave(member=plan_of(cycle, org.employee).member, on=D(2026, 7, 15), reason="retirement", actor=org.hr)
    sweep(7, 8)
    assert months_reported(change.ended) == [6]


def test_a_report_of_a_month_outside_the_plans_period_is_refused(org, cycle):
    approve_all_plans(cycle)
    change = move_employee(org, cycle, D(2026, 8, 1))
    approve_all_plans(cycle)
    old, new = Plan.objects.get(pk=change.ended.pk), Plan.objects.get(pk=change.started.pk)
    with at(9, 2):
        with pytest.raises(ValidationError) as refused:
            report_for_month(plan=new, month=7, actor=org.employee.user)
        assert "month" in refused.value.message_dict
        with pytest.raises(ValidationError):
            report_for_month(plan=old, month=8, actor=org.employee.user)
        assert report_for_month(plan=old, month=7, actor=org.employee.user)[0].plan_id == old.pk


def test_the_year_evaluates_both_plans_each_by_its_own_rater(org, cycle):
    approve_all_plans(cycle)
    change = move_employee(org, cycle, D(2026, 7, 15))
    approve_all_plans(cycle)

    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation)
    assessments = Assessment.objects.filter(evaluation=evaluation, employee=org.employee).select_related("member")
    by_plan = {a.member.plan.pk: a for a in assessments}
    assert set(by_plan) == {change.ended.pk, change.started.pk}
    old, new = by_plan[change.ended.pk], by_plan[change.started.pk]
    assert (old.member.rater, old.unit) == (org.kabid, org.division)
    assert (new.member.rater, new.unit) == (org.other_kabid, org.other_division)
    assert available_actions(old, org.other_kabid.user) == [] and available_actions(new, org.kabid.user) == []
    rate_all(evaluation)
    assert set(Assessment.objects.filter(evaluation=evaluation).values_list("status", flat=True)) == {"submitted"}


def test_a_plan_ended_before_it_was_approved_is_not_evaluated(org, cycle):
    change = move_employee(org, cycle, D(2026, 3, 1))  # the January plan was never approved
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    assert [a.member.plan.pk for a in Assessment.objects.filter(evaluation=evaluation, employee=org.employee)] == [change.started.pk]


def test_the_period_of_a_leaver_so_far_is_evaluated_by_their_rater(org, cycle):
    approve_all_plans(cycle)
    with at(9, 1):
        change = member_leave(member=plan_of(cycle, org.colleague).member, on=D(2026, 9, 1), reason="retirement", actor=org.hr)
    evaluation = start_evaluation(cycle, org.hr)
    (assessment,) = Assessment.objects.filter(evaluation=evaluation, employee=org.colleague)
    assert (assessment.member.plan.pk, assessment.member.rater) == (change.ended.pk, org.kabid)


@pytest.mark.parametrize("period, plans", [("Q2", ["old"]), ("Q3", ["old", "new", "joiner"]), ("Q4", ["new", "joiner"])])
def test_a_quarterly_evaluation_covers_only_the_plans_active_in_the_quarter(org, quarterly, period, plans):
    approve_all_plans(quarterly)
    change = move_employee(org, quarterly, D(2026, 8, 1))
    joiner = EmployeeFactory(position__unit=org.division, position__superior=org.kabid.position)
    with at(9, 15):
        joined = member_join(cycle=quarterly, employee=joiner, start_on=D(2026, 9, 15), actor=org.hr).started
    approve_all_plans(quarterly)

    evaluation = start_evaluation(quarterly, org.hr, period)
    named = {change.ended.pk: "old", change.started.pk: "new", joined.pk: "joiner"}
    covered = {named[a.member.plan.pk] for a in Assessment.objects.filter(evaluation=evaluation).select_related("member__plan")
               if a.member.plan.pk in named}
    assert covered == set(plans)


def test_a_move_on_the_first_of_a_quarter_leaves_each_plan_in_its_own_quarter(org, quarterly):
    approve_all_plans(quarterly)
    change = move_employee(org, quarterly, D(2026, 10, 1))
    approve_all_plans(quarterly)
    q3, q4 = start_evaluation(quarterly, org.hr, "Q3"), start_evaluation(quarterly, org.hr, "Q4")

    def plans_in(evaluation):
        return [a.member.plan.pk for a in Assessment.objects.filter(evaluation=evaluation, employee=org.employee)]

    assert (plans_in(q3), plans_in(q4)) == ([change.ended.pk], [change.started.pk])


# Acting officials -------------------------------------------------------------------------------


def test_an_acting_official_of_the_raters_seat_acts_on_both_plans_of_an_employee_who_changes_post_under_it(org, cycle):
    """kabid is away; the Plh of kabid's seat approves the employee's new plan after a change of
    position in the same division, and still scores the old one."""
    plh = org.other_employee
    ActingAssignmentFactory(employee=plh, position=org.kabid.position, kind="plh", start=D(2026, 1, 1), end=D(2027, 1, 31))
    approve_all_plans(cycle)
    change = move_employee(org, cycle, D(2026, 7, 15), position=PositionFactory(unit=org.division, superior=org.kabid.position))
    new = change.started
    assert new.member.rater == org.kabid
    with at(7, 20):
        kabid_result = plan_of(cycle, org.kabid).results.get()
        fill_plan(new, supports=kabid_result)
        perform(new, "submit", actor=org.employee.user)
        approved = perform(new, "approve", actor=plh.user)
    assert approved.document.status == "approved" and approved.event.on_behalf_of == org.kabid.user
    with at(12, 20):
        evaluation = start_evaluation(cycle, org.hr)
        set_unit_predicates(evaluation)
        old = Assessment.objects.get(evaluation=evaluation, member=change.ended.member)
        assessment_rate(assessment=old, actor=plh.user, ratings={"results_rating": "as_expected", "behaviour_rating": "above"})
        scored = perform(old, "submit", actor=plh.user)
    assert (scored.document.status, scored.document.predicate, scored.event.on_behalf_of) == ("submitted", "good", org.kabid.user)


def test_an_acting_official_who_moves_keeps_acting_for_the_seat(org, cycle, approved_chain):
    """The colleague is Plh of kabid's seat and is moved to the other division: they still act
    for kabid on the employee's plan."""
    ActingAssignmentFactory(employee=org.colleague, position=org.kabid.position, kind="plh", start=D(2026, 7, 1),
                            end=D(2026, 7, 31))
    with at(7, 15):
        member_move(member=plan_of(cycle, org.colleague).member, position=post_in_other_division(org), on=D(2026, 7, 15),
                    actor=org.hr)
        plan = plan_of(cycle, org.employee)
        fill_plan(plan, supports=approved_chain["kabid_result"])
        perform(plan, "submit", actor=org.employee.user)
        approved = perform(plan, "approve", actor=org.colleague.user)
    assert approved.document.status == "approved" and approved.event.on_behalf_of == org.kabid.user
    assert len(plans_of(cycle, org.colleague)) == 2
