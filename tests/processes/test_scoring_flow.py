"""Scoring through the engine and the services: each assessment and unit review action by the
right and the wrong actor, from the evaluation's start to ratification."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from processes.models import Assessment, Evaluation, UnitReview
from processes.services.evaluations import evaluation_start
from processes.services.scoring import (
    assessment_rate,
    unit_review_adjust,
    unit_review_approve,
    unit_review_ratify,
    unit_review_set_predicate,
)
from workflow.engine import available_actions, perform
from workflow.errors import InvalidTransition, NotPermitted
from workflow.models import AuditEvent

from ..conftest import client_for
from ..factories import ActingAssignmentFactory, CycleRoleFactory, UserFactory
from ..lifecycle import issue_unit, rate_all, rate_and_submit
from .conftest import assessment_of, review_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


def user_of(org, who):
    return getattr(org, who) if who in ("hr", "forum_member") else getattr(org, who).user


def set_division(org, evaluation, actor=None, predicate="good"):
    review = review_of(evaluation, org.division)
    return unit_review_set_predicate(review=review, actor=actor or org.kepala.user, unit_predicate=predicate)


# Starting the evaluation --------------------------------------------------------------------

def test_the_evaluation_gives_each_unit_a_review_with_its_predicate_setter(org, evaluation):
    setters = {r.unit_id: r.predicate_setter_id for r in UnitReview.objects.filter(evaluation=evaluation)}
    assert setters == {org.agency.pk: org.sekda.pk, org.division.pk: org.kepala.pk, org.other_division.pk: org.kepala.pk}
    assert Assessment.objects.filter(evaluation=evaluation, status=Assessment.Status.DRAFT).count() == 6


def test_starting_the_evaluation_twice_creates_nothing_more(org, cycle, evaluation):
    again, reviews, assessments = evaluation_start(cycle=cycle, period="annual", actor=org.hr)
    assert (again, reviews, assessments) == (evaluation, 0, 0)
    assert UnitReview.objects.filter(cycle=cycle).count() == 3 and Assessment.objects.filter(cycle=cycle).count() == 6
    assert AuditEvent.objects.filter(document_type="cycle", action="start_evaluation").count() == 1


def test_an_annual_cycle_has_no_quarterly_evaluation(org, cycle):
    with pytest.raises(ValidationError) as error:
        evaluation_start(cycle=cycle, period="Q1", actor=org.hr)
    assert "period" in error.value.message_dict
    assert not Evaluation.objects.filter(cycle=cycle).exists()


@pytest.mark.parametrize("who", ["kepala", "kabid", "forum_member"])
def test_only_hr_starts_an_evaluation(org, cycle, who):
    with pytest.raises(NotPermitted):
        evaluation_start(cycle=cycle, period="annual", actor=user_of(org, who))
    assert not Evaluation.objects.filter(cycle=cycle).exists()


# The unit predicate -------------------------------------------------------------------------

def test_the_leader_one_level_above_sets_the_unit_predicate(org, evaluation):
    review = set_division(org, evaluation, predicate="needs_improvement")
    assert (review.status, review.unit_predicate) == (UnitReview.Status.SCORING, "needs_improvement")
    event = AuditEvent.objects.get(document_type="unit_review", document_id=review.pk, action="set_unit_predicate")
    assert event.actor_id == org.kepala.user.pk and event.on_behalf_of_id is None


@pytest.mark.parametrize("who", ["kabid", "employee", "hr", "forum_member", "sekda"])
def test_nobody_else_sets_the_unit_predicate(org, evaluation, who):
    with pytest.raises(NotPermitted):
        set_division(org, evaluation, actor=user_of(org, who))
    assert review_of(evaluation, org.division).status == UnitReview.Status.OPEN


def test_an_unknown_unit_predicate_is_refused(org, evaluation):
    with pytest.raises(ValidationError) as error:
        set_division(org, evaluation, predicate="excellent")
    assert "unit_predicate" in error.value.message_dict
    assert review_of(evaluation, org.division).status == UnitReview.Status.OPEN


def test_a_changed_unit_predicate_still_decides_the_leaders_results_rating(org, scoring):
    rate_all(scoring, {org.kabid.pk: ("as_expected", "above")})
    assert assessment_of(scoring, org.kabid).predicate == "good"  # results as_expected from the unit's "good"
    try:
        set_division(org, scoring, predicate="outstanding")
    except InvalidTransition:
        return  # refusing the change once the unit is scored keeps the two consistent as well
    leader = assessment_of(scoring, org.kabid)
    assert (leader.results_rating, leader.predicate) == ("above", "very_good")


def test_a_unit_leader_does_not_set_the_predicate_of_their_own_unit(org, evaluation):
    with pytest.raises(NotPermitted):
        unit_review_set_predicate(review=review_of(evaluation, org.agency), actor=org.kepala.user, unit_predicate="good")


def test_a_plh_of_the_setters_position_sets_the_predicate_on_their_behalf(org, evaluation):
    ActingAssignmentFactory(employee=org.other_kabid, position=org.kepala.position)
    review = set_division(org, evaluation, actor=org.other_kabid.user)
    assert review.unit_predicate == "good"
    event = AuditEvent.objects.get(document_type="unit_review", document_id=review.pk, action="set_unit_predicate")
    assert (event.actor_id, event.on_behalf_of_id) == (org.other_kabid.user.pk, org.kepala.user.pk)


def test_a_plh_whose_assignment_has_ended_may_not(org, evaluation):
    today = datetime.date.today()
    ActingAssignmentFactory(employee=org.other_kabid, position=org.kepala.position,
                            start=today - datetime.timedelta(days=10), end=today - datetime.timedelta(days=2))
    with pytest.raises(NotPermitted):
        set_division(org, evaluation, actor=org.other_kabid.user)


# The rater's submission ---------------------------------------------------------------------

def test_the_rater_submits_the_assessment(org, scoring):
    submitted = rate_and_submit(assessment_of(scoring, org.employee), "above", "as_expected")
    assert (submitted.status, submitted.predicate) == (Assessment.Status.SUBMITTED, "good")
    event = AuditEvent.objects.get(document_type="assessment", document_id=submitted.pk, action="submit")
    assert event.actor_id == org.kabid.user.pk


@pytest.mark.parametrize("who", ["colleague", "other_kabid", "hr", "kepala", "employee"])
def test_nobody_but_the_rater_rates_or_submits(org, scoring, who):
    assessment = assessment_of(scoring, org.employee)
    with pytest.raises(NotPermitted):
        assessment_rate(assessment=assessment, actor=user_of(org, who), ratings={"results_rating": "above"})
    assessment_rate(assessment=assessment, actor=org.kabid.user, ratings={"results_rating": "as_expected", "behaviour_rating": "above"})
    with pytest.raises(NotPermitted):
        perform(assessment, "submit", actor=user_of(org, who))
    assessment.refresh_from_db()
    assert (assessment.status, assessment.results_rating) == (Assessment.Status.DRAFT, "as_expected")


def test_an_assessment_is_not_submitted_before_the_unit_predicate(org, evaluation):
    assessment = assessment_of(evaluation, org.employee)
    assessment_rate(assessment=assessment, actor=org.kabid.user, ratings={"results_rating": "above", "behaviour_rating": "above"})
    with pytest.raises(InvalidTransition, match="predicate is not set"):
        perform(assessment, "submit", actor=org.kabid.user)


@pytest.mark.parametrize("ratings", [{}, {"results_rating": "above"}, {"behaviour_rating": "above"}])
def test_an_assessment_is_not_submitted_without_both_ratings(org, scoring, ratings):
    assessment = assessment_of(scoring, org.employee)
    if ratings:
        assessment_rate(assessment=assessment, actor=org.kabid.user, ratings=ratings)
    with pytest.raises(InvalidTransition, match="Rate both"):
        perform(assessment, "submit", actor=org.kabid.user)
    assert assessment_of(scoring, org.employee).status == Assessment.Status.DRAFT


# The forum ----------------------------------------------------------------------------------

@pytest.fixture
def scored(org, scoring):
    rate_all(scoring)
    return review_of(scoring, org.division)


def adjust(review, actor, assessment, reason="Kalibrasi pola distribusi", **ratings):
    """The forum changes a rating (results "below" unless ``ratings`` say otherwise); the predicate follows."""
    ratings = ratings or {"results_rating": "below"}
    return unit_review_adjust(review=review, actor=actor, assessment_id=assessment.pk, reason=reason, **ratings)


def forum_of(cycle, unit, username):
    member = UserFactory(username=username)
    CycleRoleFactory(cycle=cycle, user=member, role="forum_member", unit=unit)
    return member


def test_a_forum_member_of_the_unit_adjusts_a_rating_the_predicate_follows_audited_on_both_documents(org, scoring, scored):
    employee = assessment_of(scoring, org.employee)
    adjusted = adjust(scored, org.forum_member, employee, results_rating="below")  # as expected / as expected: good
    assert (adjusted.results_rating, adjusted.behaviour_rating) == ("below", "as_expected")
    assert (adjusted.predicate, adjusted.rated_predicate, adjusted.previous_predicate) == ("needs_improvement",) * 2 + ("good",)
    assert (adjusted.changed_by, adjusted.adjusted) == (Assessment.ChangedBy.FORUM, True)
    assert adjusted.status == Assessment.Status.SUBMITTED
    on_assessment = AuditEvent.objects.get(document_type="assessment", document_id=employee.pk, action="adjust")
    assert (on_assessment.actor_id, on_assessment.comment) == (org.forum_member.pk, "Kalibrasi pola distribusi")
    assert on_assessment.data["results_rating"] == "below"
    assert (on_assessment.data["from"], on_assessment.data["to"]) == ("good", "needs_improvement")
    on_review = AuditEvent.objects.get(document_type="unit_review", document_id=scored.pk, action="adjust")
    assert on_review.actor_id == org.forum_member.pk and on_review.comment == "Kalibrasi pola distribusi"
    assert on_review.data == {"assessment": employee.pk, "results_rating": "below", "behaviour_rating": "",
                              "from": "good", "to": "needs_improvement"}


def test_a_forum_member_of_a_unit_above_adjusts_too(org, cycle, scoring, scored):
    agency_forum = forum_of(cycle, org.agency, "forum.agency")
    adjusted = adjust(scored, agency_forum, assessment_of(scoring, org.colleague), behaviour_rating="below")
    assert (adjusted.behaviour_rating, adjusted.predicate) == ("below", "poor")


@pytest.mark.parametrize("who", ["other_forum", "kabid", "hr"])
def test_nobody_else_adjusts(org, cycle, scoring, scored, who):
    actor = forum_of(cycle, org.other_division, "forum.b") if who == "other_forum" else user_of(org, who)
    with pytest.raises(NotPermitted):
        adjust(scored, actor, assessment_of(scoring, org.employee))
    assert assessment_of(scoring, org.employee).predicate == "good"
    assert not AuditEvent.objects.filter(action="adjust").exists()


def test_an_adjustment_needs_a_reason(org, scoring, scored):
    with pytest.raises(ValidationError) as error:
        adjust(scored, org.forum_member, assessment_of(scoring, org.employee), reason="  ")
    assert "reason" in error.value.message_dict
    assert assessment_of(scoring, org.employee).adjusted is False


def test_an_assessment_of_another_unit_is_not_adjusted_through_this_review(org, scoring, scored):
    with pytest.raises(ValidationError) as error:
        adjust(scored, org.forum_member, assessment_of(scoring, org.other_employee))
    assert "assessment" in error.value.message_dict


def test_the_forum_approves_and_issues_the_units_results(org, scoring, scored):
    review = issue_unit(scored, org.forum_member)
    assert review.status == UnitReview.Status.ISSUED and review.approved_at is not None
    assert set(Assessment.objects.filter(unit_review=scored).values_list("status", flat=True)) == {"issued"}
    assert assessment_of(scoring, org.other_employee).status == Assessment.Status.SUBMITTED  # another unit


@pytest.mark.parametrize("who", ["kabid", "hr", "kepala"])
def test_nobody_but_the_forum_approves(org, scored, who):
    with pytest.raises(NotPermitted):
        unit_review_approve(review=scored, actor=user_of(org, who), justification="Sesuai rapat")
    scored.refresh_from_db()
    assert scored.status == UnitReview.Status.SCORING


@pytest.mark.parametrize("who", ["hr", "kepala"])
def test_a_non_forum_user_is_refused_before_being_asked_for_a_justification(org, scored, who):
    response = client_for(user_of(org, who)).post(f"/api/v1/unit-reviews/{scored.pk}/approve/", {}, format="json")
    assert response.status_code == 403


def test_a_unit_with_a_draft_assessment_left_is_not_approved(org, scoring):
    rate_and_submit(assessment_of(scoring, org.employee))  # the colleague's is still a draft
    review = review_of(scoring, org.division)
    with pytest.raises(InvalidTransition, match="1 assessment"):
        unit_review_approve(review=review, actor=org.forum_member, justification="Sesuai rapat")
    assert set(Assessment.objects.filter(unit_review=review).values_list("status", flat=True)) == {"submitted", "draft"}


# Ratification -------------------------------------------------------------------------------

@pytest.fixture
def ratifier(org, cycle):
    CycleRoleFactory(cycle=cycle, user=org.kepala.user, role="ratifying_official")
    return org.kepala.user


def test_ratification_waits_until_every_result_is_final(org, scoring, scored, ratifier):
    issue_unit(scored, org.forum_member)
    perform(assessment_of(scoring, org.employee), "accept", actor=org.employee.user)
    with pytest.raises(InvalidTransition, match="1 result"):  # the colleague's
        unit_review_ratify(review=scored, actor=ratifier)
    scored.refresh_from_db()
    assert scored.status == UnitReview.Status.ISSUED
    assert assessment_of(scoring, org.employee).status == Assessment.Status.FINAL


@pytest.fixture
def all_final(org, scoring, scored):
    issue_unit(scored, org.forum_member)
    for employee in (org.employee, org.colleague):  # the division's staff (kabid's result is in the agency's review)
        perform(assessment_of(scoring, employee), "accept", actor=employee.user)
    return scored


@pytest.mark.parametrize("who", ["forum_member", "hr", "kabid", "sekda"])
def test_nobody_but_the_ratifying_official_ratifies(org, ratifier, all_final, who):
    with pytest.raises(NotPermitted):
        unit_review_ratify(review=all_final, actor=user_of(org, who))
    assert set(Assessment.objects.filter(unit_review=all_final).values_list("status", flat=True)) == {"final"}


def test_after_ratification_the_results_are_locked(org, ratifier, all_final):
    review = unit_review_ratify(review=all_final, actor=ratifier)
    assert review.status == UnitReview.Status.RATIFIED and review.ratified_at is not None
    assessments = list(Assessment.objects.filter(unit_review=all_final))
    assert {a.status for a in assessments} == {"ratified"}
    everyone = [ratifier, org.forum_member, org.hr, org.kabid.user, org.employee.user, org.colleague.user]
    for document in [review, *assessments]:
        assert all(available_actions(document, user) == [] for user in everyone)
    with pytest.raises(InvalidTransition):
        perform(assessments[0], "accept", actor=assessments[0].employee.user)
    with pytest.raises(InvalidTransition):
        unit_review_ratify(review=review, actor=ratifier)
