"""The pages show the plans' periods: each plan's start and end and how a move or a leave ended
it (an ended plan offers no step), every plan of the year on the employee's page, the annual
derivation on the assessment of someone with several plans, and this month's joiners, movers
and leavers on HR's dashboard."""

import datetime
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from processes.models import Assessment, CycleMember, Plan
from processes.services.membership import member_join, member_leave, member_move
from workflow.engine import perform

from ..api.helpers import at, ratified_evaluation, submitted_plan
from ..api.test_issue15_exports import MOVED_ON, promoted_in_july
from ..conftest import fill_plan
from ..factories import EmployeeFactory, PositionFactory
from ..lifecycle import approve_all_plans, start_evaluation

pytestmark = pytest.mark.django_db
OP = re.compile(r'name="op" value="(\w+)"')


def browser(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def page(user, url: str) -> str:
    response = browser(user).get(url)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def section(html: str, html_id: str, end: str = "</section>") -> str:
    return html.split(f'id="{html_id}"', 1)[1].split(end, 1)[0]


def member_of(cycle, employee) -> CycleMember:
    return CycleMember.objects.select_related("cycle", "employee", "unit").get(cycle=cycle, employee=employee, plan__ended="")


def move_to_other_division(org, cycle, employee, on=MOVED_ON) -> tuple[Plan, Plan]:
    position = PositionFactory(unit=org.other_division, superior=org.other_kabid.position)
    change = member_move(member=member_of(cycle, employee), position=position, on=on, actor=org.hr)
    return change.ended, change.started


# The plan page -------------------------------------------------------------------------------------


def test_a_plan_shows_its_period(org, cycle):
    plan = Plan.objects.get(cycle=cycle, employee=org.employee)
    html = page(org.employee.user, f"/plans/{plan.pk}/")
    assert "Period 1 January 2026 – 31 December 2026" in section(html, "plan-period", "</p>")
    assert 'id="plan-ended"' not in html


def test_a_moved_plan_shows_when_it_ended_and_offers_no_step_to_anyone(org, cycle, approved_chain):
    submitted = submitted_plan(org, cycle, approved_chain)  # waiting for kabid when the move comes
    ended, started = move_to_other_division(org, cycle, org.employee)
    assert ended.pk == submitted.pk
    for user in (org.employee.user, org.kabid.user):
        html = page(user, f"/plans/{ended.pk}/")
        period = section(html, "plan-period", "</p>")
        assert "Period 1 January 2026 – 30 June 2026" in period and "ended: moved on 1 July 2026" in period
        assert 'id="plan-ended"' in html
        assert not OP.findall(html) and 'id="plan-form"' not in html and 'id="amend-form"' not in html
    new = page(org.employee.user, f"/plans/{started.pk}/")
    assert "Period 1 July 2026 – 31 December 2026" in new and 'id="plan-form"' in new  # the new plan is the one to draft


def test_an_ended_draft_plan_is_not_editable_on_its_page(org, cycle):
    ended, _started = move_to_other_division(org, cycle, org.colleague)
    assert ended.status == Plan.Status.DRAFT
    html = page(org.colleague.user, f"/plans/{ended.pk}/")
    assert 'id="plan-form"' not in html and not OP.findall(html)


def test_a_leavers_plan_shows_the_day_they_left_and_why(org, cycle):
    member_leave(member=member_of(cycle, org.colleague), on=datetime.date(2026, 11, 1), reason="retirement", actor=org.hr)
    plan = Plan.objects.get(cycle=cycle, employee=org.colleague)
    html = page(org.kabid.user, f"/plans/{plan.pk}/")
    assert "ended: left on 1 November 2026" in html and "Retirement" in section(html, "plan-period", "</p>")


def test_an_ended_plans_months_are_those_of_its_period_with_no_start_button(org, cycle):
    approve_all_plans(cycle)
    with at(12, 2):
        ended, _started = move_to_other_division(org, cycle, org.employee)
        html = section(page(org.employee.user, f"/plans/{ended.pk}/"), "reports")
    assert "June 2026" in html and "July 2026" not in html
    assert "Start the report" not in html


def test_a_joiners_plan_lists_no_month_before_the_join(org, cycle):
    joiner = EmployeeFactory(name="Pegawai Baru", position__unit=org.division, position__superior=org.kabid.position)
    approve_all_plans(cycle)
    plan = member_join(cycle=cycle, employee=joiner, start_on=datetime.date(2026, 10, 15), actor=org.hr).started
    fill_plan(plan, supports=Plan.objects.get(cycle=cycle, employee=org.kabid).results.get())
    perform(plan, "submit", actor=joiner.user)
    perform(plan, "approve", actor=org.kabid.user)
    with at(12, 2):
        html = section(page(joiner.user, f"/plans/{plan.pk}/"), "reports")
    assert "September 2026" not in html and "October 2026" in html and "December 2026" in html


# The employee's list ---------------------------------------------------------------------------------


def test_the_employee_sees_every_plan_of_the_year_the_current_one_first(org, cycle):
    move_to_other_division(org, cycle, org.employee)
    html = page(org.employee.user, "/me/work/")
    periods = re.findall(r"Period (\d+ \w+ 2026) – (\d+ \w+ 2026)", html)
    assert periods == [("1 July 2026", "31 December 2026"), ("1 January 2026", "30 June 2026")]
    assert "ended: moved on 1 July 2026" in html
    assert "Bidang B" in html and "Bidang A" in html


def test_the_rater_sees_the_period_of_each_plan_they_rate(org, cycle):
    move_to_other_division(org, cycle, org.employee)
    html = section(page(org.kabid.user, "/team/"), "team")
    assert "ended: moved on 1 July 2026" in html and "Period 1 January 2026 – 31 December 2026" in html  # the colleague's
    assert "Period 1 July 2026" not in html  # the new plan is another rater's


# The assessment page --------------------------------------------------------------------------------


def test_the_assessment_of_a_mover_shows_the_derivation_of_the_annual_predicate(org, cycle):
    promoted_in_july(org, cycle)
    ratified_evaluation(org, cycle, approve=False)
    assessment = Assessment.objects.get(cycle=cycle, employee=org.employee, member__plan__start=MOVED_ON)
    html = page(org.employee.user, f"/assessments/{assessment.pk}/")
    derivation = section(html, "annual-result")
    rows = re.findall(r"<tr( class=\"chosen\")?><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", derivation)
    assert rows == [("", "1 January 2026 – 30 June 2026", "6", "Kabid A"),
                    (' class="chosen"', "1 July 2026 – 31 December 2026", "6", "Kabid B")]
    assert "the plan that covers the most months" in derivation
    assert re.search(r'id="annual-predicate">Good<', derivation)
    assert "Period 1 July 2026 – 31 December 2026" in section(html, "plan-period", "</p>")


def test_the_derivation_names_how_many_plans_it_waits_for(org, cycle):
    promoted_in_july(org, cycle)
    evaluation = start_evaluation(cycle, org.hr)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee, member__plan__start=MOVED_ON)
    derivation = section(page(org.hr, f"/assessments/{assessment.pk}/"), "annual-result")
    assert "Waiting for the results of 2 plans." in derivation and 'id="annual-predicate"' not in derivation
    # The new rater may not open the old plan's assessment: its part and the derivation stay closed.
    as_new_rater = section(page(org.other_kabid.user, f"/assessments/{assessment.pk}/"), "annual-result")
    assert "Some plans of the year are not yours to read" in as_new_rater and org.kabid.name not in as_new_rater


def test_the_assessment_of_one_plan_has_no_derivation(org, cycle):
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.colleague)
    assert 'id="annual-result"' not in page(org.kabid.user, f"/assessments/{assessment.pk}/")


# HR's dashboard ----------------------------------------------------------------------------------------


def join(org, cycle, on: datetime.date, name: str):
    employee = EmployeeFactory(name=name, position__unit=org.division, position__superior=org.kabid.position)
    return member_join(cycle=cycle, employee=employee, start_on=on, actor=org.hr).started


def test_hr_sees_this_months_joiners_movers_and_leavers(org, cycle):
    with at(12, 2):
        join(org, cycle, datetime.date(2026, 12, 1), "Pegawai Baru")
        move_to_other_division(org, cycle, org.colleague, on=datetime.date(2026, 12, 1))
        member_leave(member=member_of(cycle, org.other_employee), on=datetime.date(2026, 12, 1), reason="retirement", actor=org.hr)
        join(org, cycle, datetime.date(2026, 11, 2), "Pegawai November")
        html = section(page(org.hr, f"/hr/cycles/{cycle.pk}/"), "people-changes")
    assert "Joiners, movers and leavers in December 2026" in html
    joiners, movers, leavers = (section(html, kind, "</div>") for kind in ("joiners", "movers", "leavers"))
    assert "Pegawai Baru" in joiners and "Pegawai November" not in joiners and "1 December 2026" in joiners
    assert "Staf A2" in movers and "Bidang B" in movers
    assert "Staf B1" in leavers and "Retirement" in leavers
    new_plan = Plan.objects.get(cycle=cycle, employee__name="Pegawai Baru")
    assert f'href="/plans/{new_plan.pk}/"' in joiners


def test_a_month_without_changes_says_so(org, cycle):
    with at(12, 2):
        html = section(page(org.hr, f"/hr/cycles/{cycle.pk}/"), "people-changes")
    assert html.count("None this month.") == 3


def test_the_dashboard_costs_the_same_queries_however_many_people_joined(org, cycle):
    def queries() -> int:
        with at(12, 2), CaptureQueriesContext(connection) as captured:
            assert browser(org.hr).get(f"/hr/cycles/{cycle.pk}/").status_code == 200
        return len(captured)

    with at(12, 2):
        join(org, cycle, datetime.date(2026, 12, 1), "Pegawai 1")
    one = queries()
    with at(12, 2):
        for n in range(2, 7):
            join(org, cycle, datetime.date(2026, 12, n), f"Pegawai {n}")
    assert queries() == one
