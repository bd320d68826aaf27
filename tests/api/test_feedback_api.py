"""Colleague feedback (360): invitations as tasks, answers once per period on the seven BerAKHLAK
values, an anonymous aggregate for the employee and the rater, and who answered for HR."""

import datetime
import json

import pytest

from processes.models import Assessment, FeedbackRequest
from workflow import audit

from ..lifecycle import approve_all_plans, start_evaluation
from .helpers import (
    API,
    JAKARTA,
    assessment_url,
    at,
    berakhlak,
    colleague_feedback,
    division_staff,
    english,
    feedback_request_url,
    invite,
    issued_evaluation,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment(org, cycle) -> Assessment:
    """org.employee's annual assessment, draft: kabid rates them; feedback may be invited."""
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    return Assessment.objects.get(evaluation=evaluation, employee=org.employee)


def request_of(assessment, invitee) -> FeedbackRequest:
    return FeedbackRequest.objects.get(assessment=assessment, invitee=invitee)


def answer(user, request, ratings=None, comment=""):
    body = {"ratings": berakhlak() if ratings is None else ratings, "comment": comment}
    return english(user).post(feedback_request_url(request, "answer"), body, format="json")


def feedback_seen_by(user, assessment) -> dict:
    response = english(user).get(assessment_url(assessment, "feedback"))
    assert response.status_code == 200, response.content
    return response.json()


def keys_in(data) -> set[str]:
    """Every key of every object nested in a JSON body."""
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in keys_in(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys_in(v)}
    return set()


# Invitations ------------------------------------------------------------------------------------------


def test_the_rater_invites_colleagues_and_each_gets_a_task_due_in_the_rules_days_and_a_notification(org, assessment):
    a3, a4, a5 = division_staff(org, assessment.cycle, "Staf A3", "Staf A4", "Staf A5")
    with at(3, 10):
        response = invite(org.kabid.user, assessment, org.colleague, a3)
        tasks = english(org.colleague.user).get(f"{API}/tasks/").json()["results"]
        notifications = english(org.colleague.user).get(f"{API}/notifications/", {"event": "feedback.requested"}).json()
    assert response.status_code == 201
    assert (response.json()["created"], sorted(response.json()["invited"])) == (2, sorted([org.colleague.pk, a3.pk]))
    (task,) = [t for t in tasks if t["document_type"] == "feedback_request"]
    assert (task["document_id"], task["actions"]) == (request_of(assessment, org.colleague).pk, ["answer"])
    due = datetime.datetime.fromisoformat(task["due_at"]).astimezone(JAKARTA)
    assert due.date() == datetime.date(2026, 3, 10) + datetime.timedelta(days=assessment.cycle.rules["feedback_days"])
    (notification,) = notifications["results"]
    assert "Staf A1" in notification["message"]


def test_hr_may_invite_too(org, assessment):
    assert invite(org.hr, assessment, org.colleague).status_code == 201
    assert request_of(assessment, org.colleague).invited_by == org.hr


def test_inviting_the_same_person_again_creates_nothing_new(org, assessment):
    invite(org.kabid.user, assessment, org.colleague)
    again = invite(org.kabid.user, assessment, org.colleague)
    assert (again.status_code, again.json()["created"]) == (200, 0)
    assert FeedbackRequest.objects.filter(assessment=assessment).count() == 1
    tasks = english(org.colleague.user).get(f"{API}/tasks/").json()["results"]
    assert [t["document_type"] for t in tasks].count("feedback_request") == 1


def test_the_assessed_employee_cannot_be_invited_to_rate_themselves(org, assessment):
    response = invite(org.kabid.user, assessment, org.colleague, org.employee)
    assert response.status_code == 400
    assert "invitees" in response.json()["errors"]
    assert not FeedbackRequest.objects.exists()


def test_a_stranger_or_the_employee_cannot_invite(org, assessment):
    assert invite(org.other_kabid.user, assessment, org.colleague).status_code in (403, 404)
    assert invite(org.employee.user, assessment, org.colleague).status_code == 403
    assert not FeedbackRequest.objects.exists()


def test_inviting_after_the_results_are_issued_is_a_conflict(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    issued = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    response = invite(org.kabid.user, issued, org.colleague)
    assert (response.status_code, response.json()["status"]) == (409, "issued")
    assert not FeedbackRequest.objects.exists()


def test_my_feedback_requests_are_only_mine(org, assessment):
    a3, a4, a5 = division_staff(org, assessment.cycle, "Staf A3", "Staf A4", "Staf A5")
    invite(org.kabid.user, assessment, org.colleague, a3)
    mine = english(org.colleague.user).get(feedback_request_url()).json()["results"]
    assert [(r["id"], r["employee"], r["status"]) for r in mine] == [(request_of(assessment, org.colleague).pk, "Staf A1", "pending")]
    assert english(org.kabid.user).get(feedback_request_url()).json()["results"] == []
    other = request_of(assessment, a3)
    assert english(org.colleague.user).get(feedback_request_url(other)).status_code == 404


# Answers --------------------------------------------------------------------------------------------


def test_an_invitee_answers_once_on_all_seven_values_and_a_second_answer_is_a_conflict(org, assessment):
    invite(org.kabid.user, assessment, org.colleague)
    request = request_of(assessment, org.colleague)
    first = answer(org.colleague.user, request, berakhlak("above", loyalty="below"), "Selalu membantu rekan")
    assert first.status_code == 200, first.content
    assert (first.json()["status"], first.json()["ratings"]["loyalty"]) == ("answered", "below")
    assert answer(org.colleague.user, request, berakhlak("below")).status_code == 409
    request.refresh_from_db()
    assert (request.ratings["service_orientation"], request.comment) == ("above", "Selalu membantu rekan")
    tasks = english(org.colleague.user).get(f"{API}/tasks/").json()["results"]
    assert "feedback_request" not in [t["document_type"] for t in tasks]


@pytest.mark.parametrize("ratings", [
    {k: v for k, v in berakhlak().items() if k != "collaboration"},  # six values
    berakhlak(harmony="excellent"),
    {**berakhlak(), "integrity": "above"},
])
def test_incomplete_or_bad_ratings_are_refused_and_the_request_stays_pending(org, assessment, ratings):
    invite(org.kabid.user, assessment, org.colleague)
    request = request_of(assessment, org.colleague)
    response = answer(org.colleague.user, request, ratings)
    assert response.status_code == 400
    assert "ratings" in response.json()["errors"]
    request.refresh_from_db()
    assert (request.status, request.ratings) == ("pending", {})


def test_someone_not_invited_cannot_answer(org, assessment):
    invite(org.kabid.user, assessment, org.colleague)
    request = request_of(assessment, org.colleague)
    for user in (org.other_employee.user, org.kabid.user, org.employee.user):
        assert answer(user, request).status_code == 404
    request.refresh_from_db()
    assert request.status == "pending"


def test_the_audit_trail_of_a_request_says_an_answer_was_given_never_what_it_said(org, assessment):
    invite(org.kabid.user, assessment, org.colleague)
    request = request_of(assessment, org.colleague)
    answer(org.colleague.user, request, berakhlak("below"), "Sering terlambat rapat")
    events = list(audit.history("feedback_request", request.pk))
    assert [e.action for e in events] == ["create", "answer"]
    trail = json.dumps([{"data": e.data, "comment": e.comment} for e in events])
    assert "Sering terlambat" not in trail
    assert not {"ratings", "comment", *berakhlak()} & keys_in([e.data for e in events])


# Who sees what ----------------------------------------------------------------------------------------


def test_the_employee_and_the_rater_see_nothing_until_three_have_answered(org, assessment):
    a3, a4, a5 = division_staff(org, assessment.cycle, "Staf A3", "Staf A4", "Staf A5")
    colleague_feedback(assessment, [(org.colleague, "above", "Ramah"), (a3, "below", "")])
    invite(org.kabid.user, assessment, a4)  # invited, not answered
    for user in (org.employee.user, org.kabid.user):
        colleagues = feedback_seen_by(user, assessment)["colleagues"]
        assert (colleagues["invited"], colleagues["answered"], colleagues["shown"]) == (3, 2, False)
        assert (colleagues["values"], colleagues["comments"]) == (None, [])


def test_from_three_answers_the_employee_and_the_rater_see_counts_per_value_and_comments_without_names(org, assessment):
    a3, a4, a5 = division_staff(org, assessment.cycle, "Staf A3", "Staf A4", "Staf A5")
    colleague_feedback(assessment, [
        (org.colleague, "above", "Ramah"), (a3, "below", "Kurang teliti"), (a4, "above", ""),
    ])
    for user in (org.employee.user, org.kabid.user):
        body = feedback_seen_by(user, assessment)
        colleagues = body["colleagues"]
        assert (colleagues["answered"], colleagues["shown"]) == (3, True)
        assert set(colleagues["values"]) == set(berakhlak())
        assert colleagues["values"]["harmony"] == {"above": 2, "as_expected": 0, "below": 1}
        assert colleagues["comments"] == ["Kurang teliti", "Ramah"]
        assert not {"Staf A2", "Staf A3", "Staf A4"} & set(json.dumps(body, ensure_ascii=False).split('"'))
        assert not {"respondents", "invitee", "ratings"} & keys_in(body)


def test_the_threshold_of_answers_comes_from_the_cycles_rules(org, assessment):
    a3, a4, a5 = division_staff(org, assessment.cycle, "Staf A3", "Staf A4", "Staf A5")
    cycle = assessment.cycle
    cycle.rules = {**cycle.rules, "feedback_min_answers": 2}
    cycle.save(update_fields=["rules"])
    colleague_feedback(assessment, [(org.colleague, "above", ""), (a3, "as_expected", "")])
    colleagues = feedback_seen_by(org.employee.user, assessment)["colleagues"]
    assert (colleagues["threshold"], colleagues["shown"], colleagues["values"]["loyalty"]) == \
        (2, True, {"above": 1, "as_expected": 1, "below": 0})


def test_hr_sees_who_answered_but_never_what_they_said(org, assessment):
    a3, a4, a5 = division_staff(org, assessment.cycle, "Staf A3", "Staf A4", "Staf A5")
    colleague_feedback(assessment, [
        (org.colleague, "above", "Ramah"), (a3, "below", "Kurang teliti"), (a4, "above", ""),
    ])
    invite(org.kabid.user, assessment, a5)
    body = feedback_seen_by(org.hr, assessment)
    assert [(r["name"], r["status"]) for r in body["respondents"]] == [
        ("Staf A2", "answered"), ("Staf A3", "answered"), ("Staf A4", "answered"), ("Staf A5", "pending"),
    ]
    assert not {"colleagues", "values", "comments", "ratings"} & keys_in(body)
    assert "Ramah" not in json.dumps(body) and "Kurang teliti" not in json.dumps(body)


def test_someone_outside_the_employees_documents_sees_no_feedback(org, assessment):
    colleague_feedback(assessment, [(org.colleague, "above", "Ramah")])
    assert english(org.other_kabid.user).get(assessment_url(assessment, "feedback")).status_code == 404
    # an invitee answers, but sees no one else's answer on the employee
    assert english(org.colleague.user).get(assessment_url(assessment, "feedback")).status_code == 404
