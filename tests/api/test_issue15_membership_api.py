"""HR's API for people who change (issue 15): join, move, leave, contracts ending.

``POST /api/v1/cycles/{id}/members/``, ``POST /api/v1/cycle-members/{id}/move/``,
``POST /api/v1/cycle-members/{id}/leave/`` and ``GET /api/v1/cycles/{id}/contracts-ending/``:
the bodies they answer, a 400 for bad input, a 409 for a plan that overlaps or has ended, a 403
for a user who is not HR and a 404 for HR of another agency.
"""

from __future__ import annotations

import datetime

import pytest

from processes.models import Assessment, CycleMember, Plan, UnitReview
from workflow.models import AuditEvent

from ..conftest import client_for, plan_of, plans_of
from ..factories import EmployeeFactory, PositionFactory, RoleAssignmentFactory, UnitFactory, UserFactory
from ..lifecycle import approve_all_plans, issue_unit, rate_and_submit, set_unit_predicates, start_evaluation
from .helpers import API, agency_forum, at, cycle_url, english, member_url

pytestmark = pytest.mark.django_db

D = datetime.date
MISSING = object()  # a field left out of the body
PLAN_FIELDS = {"id", "status", "start", "end", "origin", "ended", "leave_reason"}


@pytest.fixture
def newcomer(org):
    return EmployeeFactory(name="Pegawai Baru", position__unit=org.division, position__superior=org.kabid.position)


@pytest.fixture
def post(org):
    """A vacant staff post in the other division, rated by other_kabid."""
    return PositionFactory(title="Analis Bidang B", unit=org.other_division, superior=org.other_kabid.position)


@pytest.fixture
def other_agency_hr(org):
    """HR of another agency of the same government."""
    agency = UnitFactory(code="DINKES", name="Dinas Kesehatan", kind="agency", parent=org.government)
    user = UserFactory(username="hr.dinkes")
    RoleAssignmentFactory(user=user, unit=agency)
    return user


def without_missing(body: dict) -> dict:
    return {key: value for key, value in body.items() if value is not MISSING}


def member_of(cycle, employee) -> CycleMember:
    return plan_of(cycle, employee).member


def join(user, cycle, body):
    return english(user).post(cycle_url(cycle, "members"), body, format="json")


def move(user, member, body):
    return english(user).post(member_url(member, "move"), body, format="json")


def leave(user, member, body):
    return english(user).post(member_url(member, "leave"), body, format="json")


def errors_of(response) -> dict:
    return response.json()["errors"]


# Join -----------------------------------------------------------------------------------------


def test_hr_adds_a_joiner_from_a_date_and_gets_their_new_plan(org, cycle, newcomer):
    with at(7, 16):
        response = join(org.hr, cycle, {"employee": newcomer.pk, "start": "2026-07-15"})

    assert response.status_code == 201, response.content
    body = response.json()
    plan = plan_of(cycle, newcomer)
    assert body["ended"] is None and body["lines_corrected"] == 0 and body["started_member"] == plan.member_id
    assert set(body["started"]) == PLAN_FIELDS
    assert body["started"] == {"id": plan.pk, "status": "draft", "start": "2026-07-15", "end": "2026-12-31", "origin": "join",
                               "ended": "", "leave_reason": ""}


@pytest.mark.parametrize("body, field", [
    ({"employee": "x", "start": "2026-07-15"}, "employee"),
    ({"employee": MISSING}, "employee"),
    ({"employee": 999999, "start": "2026-07-15"}, "employee"),
    ({"employee": None, "start": "2026-07-15"}, "employee"),
    ({"start": "2026-02-30"}, "start"),
    ({"start": "15/07/2026"}, "start"),
    ({"start": ""}, "start"),
    ({"start": "2027-01-01"}, "start"),
    ({"start": "2025-12-31"}, "start"),
])
def test_a_join_with_bad_input_is_a_400_naming_the_field(org, cycle, newcomer, body, field):
    response = join(org.hr, cycle, without_missing({"employee": newcomer.pk, "start": "2026-07-15", **body}))
    assert response.status_code == 400, response.content
    assert field in errors_of(response)
    assert not Plan.objects.filter(employee=newcomer).exists()


def test_a_join_of_an_employee_outside_hrs_units_is_a_400(org, cycle):
    outside = EmployeeFactory(position__unit=org.sekda.position.unit)
    response = join(org.hr, cycle, {"employee": outside.pk, "start": "2026-07-15"})
    assert response.status_code == 400 and "employee" in errors_of(response)


def test_a_join_that_overlaps_a_plan_is_a_409(org, cycle):
    response = join(org.hr, cycle, {"employee": org.employee.pk, "start": "2026-07-15"})
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert len(plans_of(cycle, org.employee)) == 1


def test_only_hr_adds_a_joiner(org, cycle, newcomer):
    """Everyone in the cycle sees it; only HR of its units adds to it (a 403, not a 400 that
    would say the employee is not in the caller's units)."""
    for user in (org.kabid.user, org.employee.user, org.kepala.user, org.forum_member):
        response = join(user, cycle, {"employee": newcomer.pk, "start": "2026-07-15"})
        assert response.status_code == 403, (user, response.status_code, response.content)
    assert not Plan.objects.filter(employee=newcomer).exists()


def test_hr_of_another_agency_does_not_see_the_cycle(org, cycle, newcomer, other_agency_hr):
    response = join(other_agency_hr, cycle, {"employee": newcomer.pk, "start": "2026-07-15"})
    assert response.status_code == 404


# Move -----------------------------------------------------------------------------------------


def test_hr_moves_an_employee_and_gets_both_plans(org, cycle, post):
    old = plan_of(cycle, org.employee)
    with at(10, 2):
        response = move(org.hr, old.member, {"position": post.pk, "date": "2026-10-01"})

    assert response.status_code == 200, response.content
    body = response.json()
    new = plan_of(cycle, org.employee)
    assert body["ended"] == {"id": old.pk, "status": "draft", "start": "2026-01-01", "end": "2026-09-30", "origin": "opening",
                             "ended": "move", "leave_reason": ""}
    assert body["started"] == {"id": new.pk, "status": "draft", "start": "2026-10-01", "end": "2026-12-31", "origin": "move",
                               "ended": "", "leave_reason": ""}
    assert body["started_member"] == new.member_id


@pytest.mark.parametrize("body, field", [
    ({"date": "2026-02-30"}, "date"),
    ({"date": "01-10-2026"}, "date"),
    ({"date": None}, "date"),
    ({"date": MISSING}, "date"),
    ({"date": "2026-01-01"}, "date"),  # the plan's first day: nothing would be left of it
    ({"date": "2027-01-01"}, "date"),
    ({"date": "2025-06-01"}, "date"),
    ({"position": "x"}, "position"),
    ({"position": 999999}, "position"),
    ({"position": None}, "position"),
    ({"position": MISSING}, "position"),
])
def test_a_move_with_bad_input_is_a_400_naming_the_field(org, cycle, post, body, field):
    response = move(org.hr, member_of(cycle, org.employee), without_missing({"position": post.pk, "date": "2026-10-01", **body}))
    assert response.status_code == 400, response.content
    assert field in errors_of(response)
    assert len(plans_of(cycle, org.employee)) == 1


def test_a_move_to_the_same_position_is_a_400(org, cycle):
    response = move(org.hr, member_of(cycle, org.employee), {"position": org.employee.position_id, "date": "2026-10-01"})
    assert response.status_code == 400 and "position" in errors_of(response)


def test_a_move_to_a_position_outside_hrs_units_is_a_400(org, cycle):
    response = move(org.hr, member_of(cycle, org.employee), {"position": org.sekda.position_id, "date": "2026-10-01"})
    assert response.status_code == 400 and "position" in errors_of(response)


def test_a_second_change_of_an_ended_plan_is_a_409(org, cycle, post):
    member = member_of(cycle, org.employee)
    with at(10, 2):
        assert move(org.hr, member, {"position": post.pk, "date": "2026-10-01"}).status_code == 200
        again = move(org.hr, member, {"position": PositionFactory(unit=org.division).pk, "date": "2026-10-15"})
        gone = leave(org.hr, member, {"date": "2026-10-15", "reason": "retirement"})
    assert again.status_code == 409 and gone.status_code == 409
    assert len(plans_of(cycle, org.employee)) == 2


def test_only_hr_moves_an_employee(org, cycle, post):
    member = member_of(cycle, org.employee)
    for user in (org.employee.user, org.kabid.user, org.kepala.user):
        response = move(user, member, {"position": post.pk, "date": "2026-10-01"})
        assert response.status_code == 403, (user, response.status_code, response.content)
    assert len(plans_of(cycle, org.employee)) == 1


def test_hr_of_another_agency_cannot_find_the_member(org, cycle, post, other_agency_hr):
    member = member_of(cycle, org.employee)
    assert move(other_agency_hr, member, {"position": post.pk, "date": "2026-10-01"}).status_code == 404
    assert leave(other_agency_hr, member, {"date": "2026-10-01", "reason": "retirement"}).status_code == 404


# Leave ----------------------------------------------------------------------------------------


def test_hr_records_a_leave_and_gets_the_ended_plan(org, cycle):
    member = member_of(cycle, org.colleague)
    with at(8, 2):
        response = leave(org.hr, member, {"date": "2026-08-01", "reason": "retirement"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["started"] is None and body["started_member"] is None
    assert body["ended"] == {"id": member.plan.pk, "status": "draft", "start": "2026-01-01", "end": "2026-07-31",
                             "origin": "opening", "ended": "leave", "leave_reason": "retirement"}


@pytest.mark.parametrize("body, field", [
    ({"reason": "pensiun"}, "reason"),
    ({"reason": ""}, "reason"),
    ({"reason": None}, "reason"),
    ({"reason": MISSING}, "reason"),
    ({"date": "2026-02-30"}, "date"),
    ({"date": "2026-01-01"}, "date"),
    ({"date": "2027-01-02"}, "date"),
    ({"date": 20260801}, "date"),
])
def test_a_leave_with_bad_input_is_a_400_naming_the_field(org, cycle, body, field):
    response = leave(org.hr, member_of(cycle, org.employee), without_missing({"date": "2026-08-01", "reason": "retirement", **body}))
    assert response.status_code == 400, response.content
    assert field in errors_of(response)
    assert not plan_of(cycle, org.employee).ended


def test_only_hr_records_a_leave(org, cycle):
    member = member_of(cycle, org.employee)
    for user in (org.employee.user, org.kabid.user):
        assert leave(user, member, {"date": "2026-08-01", "reason": "retirement"}).status_code == 403
    assert not plan_of(cycle, org.employee).ended


# The change in the documents' histories and lists ------------------------------------------------


def test_a_move_shows_in_the_histories_of_both_plans_and_the_new_member_record(org, cycle, post):
    old = plan_of(cycle, org.employee)
    with at(10, 2):
        body = move(org.hr, old.member, {"position": post.pk, "date": "2026-10-01"}).json()
    hr = client_for(org.hr)

    old_history = hr.get(f"{API}/plans/{old.pk}/history/").json()
    new_history = hr.get(f"{API}/plans/{body['started']['id']}/history/").json()
    member_history = hr.get(member_url(CycleMember.objects.get(pk=body["started_member"]), "history")).json()
    actions = [[e["action"] for e in (h["results"] if isinstance(h, dict) else h)] for h in (old_history, new_history, member_history)]
    assert actions == [["create", "close_period"], ["move"], ["move"]]
    assert AuditEvent.objects.filter(document_type="plan", document_id=old.pk, action="close_period", actor=org.hr).exists()


def test_the_plans_list_shows_each_plans_period_and_member(org, cycle, post):
    with at(10, 2):
        move(org.hr, member_of(cycle, org.employee), {"position": post.pk, "date": "2026-10-01"})
    listed = client_for(org.hr).get(f"{API}/plans/", {"employee": org.employee.pk}).json()
    rows = sorted(listed["results"], key=lambda r: r["start"])
    assert [(r["start"], r["end"], r["origin"], r["ended"], r["member"]) for r in rows] == [
        (p.start.isoformat(), p.end.isoformat(), p.origin, p.ended, p.member_id) for p in plans_of(cycle, org.employee)]


def test_the_member_list_shows_the_plan_of_each_record(org, cycle, post):
    with at(10, 2):
        move(org.hr, member_of(cycle, org.employee), {"position": post.pk, "date": "2026-10-01"})
    listed = client_for(org.hr).get(f"{API}/cycle-members/", {"employee": org.employee.pk}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert sorted((r["plan"]["start"], r["plan"]["end"], r["unit"]) for r in rows) == [
        ("2026-01-01", "2026-09-30", org.division.pk), ("2026-10-01", "2026-12-31", org.other_division.pk)]


def test_a_retried_move_with_the_same_idempotency_key_moves_once(org, cycle, post):
    member = member_of(cycle, org.employee)
    client = client_for(org.hr)
    with at(10, 2):
        first, second = (client.post(member_url(member, "move"), {"position": post.pk, "date": "2026-10-01"}, format="json",
                                     HTTP_IDEMPOTENCY_KEY="move-1") for _ in range(2))
    assert first.status_code == second.status_code == 200 and first.json() == second.json()
    assert len(plans_of(cycle, org.employee)) == 2


# Contracts ending -------------------------------------------------------------------------------


@pytest.fixture
def contract(org, cycle):
    """A PPPK who joined on 1 March, whose contract ends on 31 August 2026."""
    pppk = EmployeeFactory(name="PPPK Agustus", position__unit=org.division, position__superior=org.kabid.position,
                           employment_type="pppk", grade="IX", contract_start=D(2022, 9, 1), contract_end=D(2026, 8, 31))
    with at(3, 2):
        join(org.hr, cycle, {"employee": pppk.pk, "start": "2026-03-01"})
    return pppk


def test_hr_lists_the_contracts_ending_with_the_last_plans_evaluation(org, cycle, contract):
    approve_all_plans(cycle)
    hr = client_for(org.hr)
    evaluation = hr.post(cycle_url(cycle, "evaluations"), {"period": "annual"}, format="json").json()
    response = hr.get(cycle_url(cycle, "contracts-ending"))

    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    plan = plan_of(cycle, contract)
    assert (row["employee"]["id"], row["grade"], row["contract_start"], row["contract_end"], row["unit_name"]) == (
        contract.pk, "IX", "2022-09-01", "2026-08-31", org.division.name)
    assert (row["plan"]["id"], row["plan"]["start"], row["plan"]["end"]) == (plan.pk, "2026-03-01", "2026-08-31")
    assert row["assessment"]["period"] == "annual" and row["assessment"]["status"] == "draft" and evaluation["period"] == "annual"


def test_contracts_ending_by_a_date_and_a_bad_date(org, cycle, contract):
    hr = client_for(org.hr)
    assert hr.get(cycle_url(cycle, "contracts-ending"), {"before": "2026-06-30"}).json()["results"] == []
    assert hr.get(cycle_url(cycle, "contracts-ending"), {"before": "2026-08-31"}).json()["count"] == 1
    refused = hr.get(cycle_url(cycle, "contracts-ending"), {"before": "31/08/2026"})
    assert refused.status_code == 400 and "before" in errors_of(refused)


def test_only_hr_of_the_cycle_lists_contracts_ending(org, cycle, contract, other_agency_hr):
    for user in (org.kabid.user, org.forum_member, org.employee.user):
        response = client_for(user).get(cycle_url(cycle, "contracts-ending"))
        assert response.status_code in (403, 404), (user, response.status_code)
    assert client_for(org.kabid.user).get(cycle_url(cycle, "contracts-ending")).status_code == 403
    assert client_for(other_agency_hr).get(cycle_url(cycle, "contracts-ending")).status_code == 404


# The annual result in the assessment --------------------------------------------------------------


def test_the_assessment_detail_shows_how_the_annual_predicate_is_derived_only_once_issued(org, cycle, post):
    approve_all_plans(cycle)
    with at(10, 2):
        move(org.hr, member_of(cycle, org.employee), {"position": post.pk, "date": "2026-10-01"})
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation)
    for assessment in Assessment.objects.filter(evaluation=evaluation):
        moved_in = assessment.unit_id == org.other_division.pk
        rate_and_submit(assessment, *(("above", "above") if moved_in else ("as_expected", "as_expected")))
    old = Assessment.objects.get(evaluation=evaluation, member=plans_of(cycle, org.employee)[0].member)

    shown = client_for(org.employee.user).get(f"{API}/assessments/{old.pk}/").json()["annual_result"]
    assert (shown["option"], shown["predicate"], shown["waiting"]) == ("most_months", "", 2)
    assert [p["predicate"] for p in shown["parts"]] == ["", ""]

    forum = agency_forum(cycle)
    for review in UnitReview.objects.filter(evaluation=evaluation):
        issue_unit(review, forum)
    shown = client_for(org.employee.user).get(f"{API}/assessments/{old.pk}/").json()["annual_result"]
    assert (shown["predicate"], shown["waiting"]) == ("good", 0)  # January to September: 273 days of 365
    assert [(p["start"], p["end"], p["days"], p["predicate"], p["chosen"]) for p in shown["parts"]] == [
        ("2026-01-01", "2026-09-30", 273, "good", True), ("2026-10-01", "2026-12-31", 92, "very_good", False)]
    colleague = Assessment.objects.get(evaluation=evaluation, employee=org.colleague)
    assert client_for(org.colleague.user).get(f"{API}/assessments/{colleague.pk}/").json()["annual_result"] is None
