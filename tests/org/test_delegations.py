"""Delegation: a role holder's open tasks go to a colleague for a date range, who acts on the
holder's behalf (audited so) until it ends; and HR's correction of a rater moves the tasks."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from org.models import Delegation
from workflow.engine import perform
from workflow.errors import NotPermitted
from workflow.models import AuditEvent, OpenTask

from ..api.helpers import (
    API,
    mails_to,
    member_url,
    notice_to,
    notices_about,
    open_reports,
    plan_url,
    realise,
    submitted_plan,
)
from ..conftest import client_for, fill_plan, plan_of
from ..factories import DelegationFactory

pytestmark = pytest.mark.django_db

DELEGATIONS = f"{API}/delegations/"
DAY = datetime.timedelta(days=1)


def leave(delegate, *, starts_in: int = 0, days: int = 7, reason: str = "Cuti tahunan", **extra) -> dict:
    start = timezone.localdate() + starts_in * DAY
    return {"delegate": delegate.pk, "start": start.isoformat(), "end": (start + days * DAY).isoformat(),
            "reason": reason, **extra}


def tasks_of(user) -> list[tuple[str, int, str, bool]]:
    response = client_for(user).get(f"{API}/tasks/")
    assert response.status_code == 200
    return [(t["document_type"], t["document_id"], t["role"], t["on_behalf"]) for t in response.json()["results"]]


@pytest.fixture
def on_leave(org, django_capture_on_commit_callbacks) -> Delegation:
    """kabid, on leave for a week from today, delegates his tasks to colleague."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.kabid.user).post(DELEGATIONS, leave(org.colleague), format="json")
    assert response.status_code == 201, response.content
    return Delegation.objects.get(pk=response.json()["id"])


@pytest.fixture
def review(org, cycle, approved_chain):
    """The employee's plan, submitted: kabid's task to approve it is open."""
    return submitted_plan(org, cycle, approved_chain)


# Delegating ----------------------------------------------------------------------------------------


def test_kabid_delegates_his_tasks_to_a_colleague_for_a_date_range(org):
    body = leave(org.colleague, reason="Dinas luar ke Jakarta")
    response = client_for(org.kabid.user).post(DELEGATIONS, body, format="json")
    assert response.status_code == 201
    created = response.json()
    assert (created["delegator"]["id"], created["delegate"]["id"]) == (org.kabid.pk, org.colleague.pk)
    assert (created["start"], created["end"], created["reason"]) == (body["start"], body["end"], "Dinas luar ke Jakarta")
    assert created["active"] is True and created["ended_at"] is None
    (event,) = AuditEvent.objects.filter(document_type="delegation", document_id=created["id"])
    assert (event.action, event.actor_id) == ("create", org.kabid.user_id)


def test_the_delegate_sees_the_delegators_open_tasks_on_his_behalf(org, cycle, review, on_leave):
    colleague_tasks = tasks_of(org.colleague.user)
    assert ("plan", review.pk, "rater", True) in colleague_tasks
    assert ("plan", plan_of(cycle, org.colleague).pk, "employee", False) in colleague_tasks  # her own still there


def test_the_delegate_approves_a_subordinates_plan_audited_on_the_delegators_behalf(org, review, on_leave):
    response = client_for(org.colleague.user).post(plan_url(review, "approve"))
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    event = client_for(org.kabid.user).get(plan_url(review, "history")).json()[-1]
    assert event["action"] == "approve"
    assert (event["actor"]["username"], event["on_behalf_of"]["username"]) == ("colleague", "kabid")


def test_the_delegation_is_listed_for_the_delegator_and_the_delegate_only(org, on_leave):
    for user in (org.kabid.user, org.colleague.user, org.hr):
        assert [d["id"] for d in client_for(user).get(DELEGATIONS).json()["results"]] == [on_leave.pk]
    assert client_for(org.other_employee.user).get(DELEGATIONS).json()["results"] == []


def test_the_delegate_is_told_when_the_delegation_starts_and_when_it_ends(org, on_leave, django_capture_on_commit_callbacks):
    started = notice_to(org.colleague.user, "delegation.started", on_leave)
    assert started.data["delegator"] == "Kabid A" and started.data["reason"] == "Cuti tahunan"
    assert len(mails_to(org.colleague.user, containing=f"/d/delegation/{on_leave.pk}/")) == 1
    with django_capture_on_commit_callbacks(execute=True):
        client_for(org.kabid.user).delete(f"{DELEGATIONS}{on_leave.pk}/")
    assert notice_to(org.colleague.user, "delegation.ended", on_leave).data == {"delegator": "Kabid A"}
    assert len(mails_to(org.colleague.user, containing=f"/d/delegation/{on_leave.pk}/")) == 2


# Ending it, and who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("ender", ["kabid", "hr"])
def test_ending_the_delegation_early_takes_the_tasks_and_the_power_away(org, review, on_leave, ender):
    user = org.hr if ender == "hr" else org.kabid.user
    response = client_for(user).delete(f"{DELEGATIONS}{on_leave.pk}/")
    assert response.status_code == 200
    assert response.json()["active"] is False and response.json()["ended_at"] is not None
    assert ("plan", review.pk, "rater", True) not in tasks_of(org.colleague.user)
    # The plan is out of her sight again (404), and the engine refuses her (403).
    assert client_for(org.colleague.user).post(plan_url(review, "approve")).status_code == 404
    with pytest.raises(NotPermitted):
        perform(review, "approve", actor=org.colleague.user)
    review.refresh_from_db()
    assert review.status == "submitted"


def test_the_delegate_cannot_end_the_delegation(org, on_leave):
    assert client_for(org.colleague.user).delete(f"{DELEGATIONS}{on_leave.pk}/").status_code == 403
    on_leave.refresh_from_db()
    assert on_leave.ended_at is None


def test_a_stranger_cannot_delegate_kabids_tasks(org):
    body = leave(org.other_employee, delegator=org.kabid.pk)
    assert client_for(org.other_employee.user).post(DELEGATIONS, body, format="json").status_code == 403
    assert not Delegation.objects.exists()


def test_hr_delegates_kabids_tasks_naming_him_as_the_delegator(org):
    response = client_for(org.hr).post(DELEGATIONS, leave(org.colleague, delegator=org.kabid.pk), format="json")
    assert response.status_code == 201
    delegation = Delegation.objects.get(pk=response.json()["id"])
    assert (delegation.delegator, delegation.delegate, delegation.created_by) == (org.kabid, org.colleague, org.hr)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"delegate": "self"}, "delegate"),
        ({"days": -1}, "end"),
        ({"starts_in": -10, "days": 5}, "end"),  # already over
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
    ],
    ids=["to-oneself", "end-before-start", "already-over", "no-reason", "blank-reason"],
)
def test_a_delegation_that_makes_no_sense_is_refused(org, change, field):
    delegate = org.kabid if change.pop("delegate", None) == "self" else org.colleague
    response = client_for(org.kabid.user).post(DELEGATIONS, leave(delegate, **change), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Delegation.objects.exists()


@pytest.mark.parametrize(("starts_in", "ends_in"), [(-10, -1), (1, 8)], ids=["expired", "not-yet-started"])
def test_a_delegation_outside_its_dates_gives_no_power(org, review, starts_in, ends_in):
    today = timezone.localdate()
    DelegationFactory(delegator=org.kabid, delegate=org.colleague, start=today + starts_in * DAY, end=today + ends_in * DAY)
    assert ("plan", review.pk, "rater", True) not in tasks_of(org.colleague.user)
    with pytest.raises(NotPermitted):
        perform(review, "approve", actor=org.colleague.user)


def test_a_delegate_cannot_approve_her_own_plan(org, cycle, approved_chain, on_leave):
    own = plan_of(cycle, org.colleague)
    fill_plan(own, supports=approved_chain["kabid_result"])
    perform(own, "submit", actor=org.colleague.user)
    assert client_for(org.colleague.user).post(plan_url(own, "approve")).status_code == 403
    own.refresh_from_db()
    assert own.status == "submitted"


# HR corrects the rater: the tasks move, both raters are told -------------------------------------


def correction(org) -> dict:
    return {"rater": org.other_kabid.pk, "raters_superior": org.kepala.pk, "reason": "SK mutasi salah input"}


def test_hrs_correction_moves_the_review_task_and_tells_both_raters(org, review, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(org.hr).post(member_url(review.member, "correct_reporting_line"), correction(org), format="json")
    assert response.status_code == 200
    assert notices_about(review.member) == [
        (org.other_kabid.user_id, "member.rater_changed"), (org.kabid.user_id, "member.rater_removed"),
    ]
    assert len(mails_to(org.other_kabid.user)) == len(mails_to(org.kabid.user)) == 1
    task = OpenTask.objects.pending().get(document_type="plan", document_id=review.pk)
    assert task.assignee == org.other_kabid.user
    assert ("plan", review.pk, "rater", False) in tasks_of(org.other_kabid.user)
    assert ("plan", review.pk, "rater", False) not in tasks_of(org.kabid.user)


def test_only_hr_may_correct_the_rater_and_nobody_is_told_otherwise(org, review):
    response = client_for(org.kabid.user).post(member_url(review.member, "correct_reporting_line"), correction(org), format="json")
    assert response.status_code == 403
    assert notices_about(review.member) == []
    assert OpenTask.objects.pending().get(document_type="plan", document_id=review.pk).assignee == org.kabid.user


def test_hrs_correction_moves_an_open_report_review_to_the_new_rater(org, cycle):
    report = open_reports(cycle)[org.employee.pk]
    realise(report)
    perform(report, "submit", actor=org.employee.user)
    client_for(org.hr).post(member_url(report.member, "correct_reporting_line"), correction(org), format="json")
    task = OpenTask.objects.pending().get(document_type="report", document_id=report.pk, role="rater")
    assert task.assignee == org.other_kabid.user
