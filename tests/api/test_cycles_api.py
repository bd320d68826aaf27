"""Cycles: HR creates and opens them, progress counts, history; HR corrects a reporting line."""

import pytest

from processes.models import Cycle, CycleMember, Plan
from workflow.models import OpenTask

from ..conftest import client_for, plan_of
from .helpers import API, audit_actions, cycle_url, member_url, submitted_plan

pytestmark = pytest.mark.django_db


def cycle_body(org, **overrides) -> dict:
    body = {"name": "Kinerja 2027", "year": 2027, "units": [org.agency.pk], "plan_deadline": "2027-01-31"}
    body.update(overrides)
    return body


@pytest.fixture
def draft_cycle(org):
    response = client_for(org.hr).post(f"{API}/cycles/", cycle_body(org), format="json")
    assert response.status_code == 201
    return Cycle.objects.get(pk=response.json()["id"])


# Creating ---------------------------------------------------------------------------------------


def test_hr_creates_a_draft_cycle_for_units_in_its_scope(org):
    response = client_for(org.hr).post(f"{API}/cycles/", cycle_body(org), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft" and body["units"] == [org.agency.pk]
    assert body["allowed_actions"] == ["open"]
    cycle = Cycle.objects.get(pk=body["id"])
    assert cycle.created_by == org.hr
    assert audit_actions(cycle) == ["create"]


def test_hr_may_create_a_cycle_for_a_division_below_its_scope_root(org):
    response = client_for(org.hr).post(f"{API}/cycles/", cycle_body(org, units=[org.division.pk]), format="json")
    assert response.status_code == 201
    assert response.json()["units"] == [org.division.pk]


def test_a_non_hr_user_may_not_create_a_cycle(org):
    response = client_for(org.kabid.user).post(f"{API}/cycles/", cycle_body(org), format="json")
    assert response.status_code == 403
    assert "detail" in response.json()


def test_a_non_hr_user_creates_nothing(org):
    client_for(org.kabid.user).post(f"{API}/cycles/", cycle_body(org), format="json")
    assert not Cycle.objects.exists()


def test_a_unit_outside_hrs_scope_is_refused_on_the_units_field(org):
    response = client_for(org.hr).post(f"{API}/cycles/", cycle_body(org, units=[org.government.pk]), format="json")
    assert response.status_code == 400
    assert "units" in response.json()["errors"]
    assert not Cycle.objects.exists()


def test_an_invalid_cycle_body_names_each_bad_field(org):
    response = client_for(org.hr).post(
        f"{API}/cycles/", {"name": "", "year": "abc", "units": ["x"], "plan_deadline": "31-01-2027"}, format="json"
    )
    assert response.status_code == 400
    assert {"year", "units", "plan_deadline"} <= set(response.json()["errors"])  # parsed first; the name is the service's rule


def test_a_cycle_without_units_is_refused(org):
    response = client_for(org.hr).post(f"{API}/cycles/", cycle_body(org, units=[]), format="json")
    assert response.status_code == 400
    assert "units" in response.json()["errors"]


def test_a_plan_deadline_outside_the_cycles_year_is_refused(org):
    response = client_for(org.hr).post(f"{API}/cycles/", cycle_body(org, plan_deadline="2030-01-31"), format="json")
    assert response.status_code == 400
    assert "plan_deadline" in response.json()["errors"]


# Opening ----------------------------------------------------------------------------------------


def test_hr_opens_a_cycle_and_every_employee_in_scope_gets_a_draft_plan(org, draft_cycle, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.hr).post(cycle_url(draft_cycle, "open"))
    assert response.status_code == 202
    assert response.json()["status"] == "opening"
    draft_cycle.refresh_from_db()
    assert draft_cycle.status == "open"
    plans = Plan.objects.filter(cycle=draft_cycle)
    assert plans.count() == 6 and {p.status for p in plans} == {"draft"}
    assert not plans.filter(employee=org.sekda).exists()


def test_opening_a_cycle_twice_is_an_invalid_transition(org, cycle):
    response = client_for(org.hr).post(cycle_url(cycle, "open"))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "invalid_transition"
    assert body["status"] == "open"
    assert body["allowed_actions"] == ["close"]  # an open cycle can only be closed next
    assert body["detail"]
    assert Plan.objects.filter(cycle=cycle).count() == 6


def test_a_non_hr_user_may_not_open_a_cycle_they_can_see(org, draft_cycle, cycle):
    # kabid is a member of ``cycle`` only; the draft cycle is not visible to him.
    assert client_for(org.kabid.user).post(cycle_url(draft_cycle, "open")).status_code == 404
    draft_cycle.refresh_from_db()
    assert draft_cycle.status == "draft"


# Reading ----------------------------------------------------------------------------------------


def test_an_employee_sees_the_cycles_they_are_a_member_of_only(org, cycle, draft_cycle):
    body = client_for(org.employee.user).get(f"{API}/cycles/").json()
    assert [c["id"] for c in body["results"]] == [cycle.pk]


def test_progress_counts_plans_per_status_and_unit(org, cycle, approved_chain):
    submitted_plan(org, cycle, approved_chain)
    body = client_for(org.hr).get(cycle_url(cycle, "progress")).json()
    plans = body["documents"]["plan"]
    assert plans["total"] == 6
    assert plans["statuses"] == {"draft": 3, "submitted": 1, "returned": 0, "approved": 2}
    by_unit = {u["unit"]: u["statuses"] for u in plans["units"]}
    assert by_unit[org.agency.pk] == {"draft": 0, "submitted": 0, "returned": 0, "approved": 1}
    assert by_unit[org.division.pk] == {"draft": 1, "submitted": 1, "returned": 0, "approved": 1}
    assert by_unit[org.other_division.pk] == {"draft": 2, "submitted": 0, "returned": 0, "approved": 0}
    assert body["opening"] == {"total": 6, "done": 6}


def test_progress_of_a_cycle_the_user_may_not_see_is_not_found(org, draft_cycle):
    assert client_for(org.employee.user).get(cycle_url(draft_cycle, "progress")).status_code == 404


def test_cycle_history_lists_creation_opening_and_its_end_in_order(org, cycle):
    events = client_for(org.hr).get(cycle_url(cycle, "history")).json()
    assert [(e["action"], e["from_state"], e["to_state"]) for e in events] == [
        ("create", "", "draft"), ("open", "draft", "opening"), ("finish_opening", "opening", "open"),
    ]
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[1]["actor"]["username"] == "hr"
    assert events[2]["actor"] is None


# Correcting a reporting line ------------------------------------------------------------------


def correction(org, **overrides) -> dict:
    body = {"rater": org.other_kabid.pk, "raters_superior": org.kepala.pk, "reason": "SK mutasi salah input"}
    body.update(overrides)
    return body


def test_hr_corrects_the_rater_and_the_open_approval_task_moves(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    response = client_for(org.hr).post(member_url(plan.member, "correct_reporting_line"), correction(org), format="json")
    assert response.status_code == 200
    assert response.json()["rater"]["id"] == org.other_kabid.pk
    member = CycleMember.objects.get(pk=plan.member.pk)
    assert member.rater == org.other_kabid and member.raters_superior == org.kepala
    task = OpenTask.objects.pending().get(document_type="plan", document_id=plan.pk)
    assert task.assignee == org.other_kabid.user and task.position_id == org.other_kabid.position_id
    assert client_for(org.kabid.user).get(f"{API}/tasks/").json()["results"] == []
    new_rater_tasks = client_for(org.other_kabid.user).get(f"{API}/tasks/").json()["results"]
    assert [(t["document_id"], t["actions"]) for t in new_rater_tasks if t["role"] == "rater"] == [
        (plan.pk, ["approve", "return"])
    ]


def test_the_corrected_rater_may_approve_and_the_old_one_no_longer_can(org, cycle, approved_chain):
    plan = submitted_plan(org, cycle, approved_chain)
    client_for(org.hr).post(member_url(plan.member, "correct_reporting_line"), correction(org), format="json")
    assert client_for(org.kabid.user).post(f"{API}/plans/{plan.pk}/approve/").status_code in (403, 404)
    assert client_for(org.other_kabid.user).post(f"{API}/plans/{plan.pk}/approve/").json()["status"] == "approved"


def test_the_member_history_shows_the_correction_with_its_reason(org, cycle):
    member = plan_of(cycle, org.employee).member
    client_for(org.hr).post(member_url(member, "correct_reporting_line"), correction(org), format="json")
    (event,) = client_for(org.hr).get(member_url(member, "history")).json()
    assert event["action"] == "correct_reporting_line"
    assert event["actor"]["username"] == "hr"
    assert event["comment"] == "SK mutasi salah input"
    assert event["data"]["before"]["rater"] == org.kabid.pk
    assert event["data"]["after"]["rater"] == org.other_kabid.pk


def test_a_rater_who_sees_the_member_may_not_correct_the_line(org, cycle):
    member = plan_of(cycle, org.employee).member
    response = client_for(org.kabid.user).post(member_url(member, "correct_reporting_line"), correction(org), format="json")
    assert response.status_code == 403
    assert "detail" in response.json()
    assert CycleMember.objects.get(pk=member.pk).rater == org.kabid


def test_someone_who_cannot_see_the_member_gets_not_found(org, cycle):
    member = plan_of(cycle, org.employee).member
    response = client_for(org.other_employee.user).post(
        member_url(member, "correct_reporting_line"), correction(org), format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize("reason", [None, "", "   "], ids=["missing", "empty", "blank"])
def test_a_correction_needs_a_reason(org, cycle, reason):
    member = plan_of(cycle, org.employee).member
    body = correction(org, reason=reason)
    if reason is None:
        del body["reason"]
    response = client_for(org.hr).post(member_url(member, "correct_reporting_line"), body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert CycleMember.objects.get(pk=member.pk).rater == org.kabid


def test_an_employee_cannot_be_made_their_own_rater(org, cycle):
    member = plan_of(cycle, org.employee).member
    response = client_for(org.hr).post(
        member_url(member, "correct_reporting_line"), correction(org, rater=org.employee.pk), format="json"
    )
    assert response.status_code == 400
    assert "rater" in response.json()["errors"]


def test_a_cycle_is_created_with_the_default_rules_whatever_the_body_says(org):
    response = client_for(org.hr).post("/api/v1/cycles/", {
        "name": "Kinerja 2027", "year": 2027, "units": [org.agency.pk], "plan_deadline": "2027-01-31",
        "rules": {"plan_review_days": 99}, "version": 7, "opening_total": 5,
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rules"]["plan_review_days"] == 5 and body["version"] == 1 and body["opening_total"] == 0
