"""Scoring: starting a period, the unit predicate, the rater's ratings, the forum's board and approval."""

import datetime

import pytest

from processes.models import Assessment, UnitReview

from ..conftest import approve_plan, fill_plan, plan_of
from ..factories import UserFactory
from ..lifecycle import approve_all_plans, rate_all, rate_and_submit, set_unit_predicates, start_evaluation
from .helpers import API, add_staff, assessment_url, at, english, review_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluation(org, cycle):
    """Every plan approved and the annual period started (no unit predicate set yet)."""
    approve_all_plans(cycle)
    return start_evaluation(cycle, org.hr)


def review_of(evaluation, unit) -> UnitReview:
    return UnitReview.objects.get(evaluation=evaluation, unit=unit)


def assessment_of(evaluation, employee) -> Assessment:
    return Assessment.objects.get(evaluation=evaluation, employee=employee)


def start(user, cycle, period="annual"):
    return english(user).post(f"{API}/cycles/{cycle.pk}/evaluations/", {"period": period}, format="json")


def set_predicate(user, review, value="good"):
    return english(user).post(review_url(review, "set_unit_predicate"), {"unit_predicate": value}, format="json")


def rate(user, assessment, **body):
    return english(user).patch(assessment_url(assessment), body, format="json")


def post(user, url, body=None):
    return english(user).post(url, body or {}, format="json")


# Starting a period ------------------------------------------------------------------------------------


def test_hr_starts_a_period_with_one_assessment_per_approved_plan_and_one_review_per_unit_once(org, cycle):
    approve_all_plans(cycle)
    first = start(org.hr, cycle)
    assert first.status_code == 201
    assert {k: first.json()[k] for k in ("period", "unit_reviews_created", "assessments_created")} == \
        {"period": "annual", "unit_reviews_created": 3, "assessments_created": 6}
    again = start(org.hr, cycle)
    assert again.status_code == 200
    assert [again.json()[k] for k in ("unit_reviews_created", "assessments_created", "unit_reviews", "assessments")] == [0, 0, 3, 6]
    assert Assessment.objects.filter(cycle=cycle).count() == 6


def test_only_employees_with_an_approved_plan_are_assessed_and_a_repeat_adds_the_newly_approved(org, cycle, approved_chain):
    body = start(org.hr, cycle).json()
    assert (body["unit_reviews"], body["assessments"]) == (2, 2)  # the agency's and division A's, for kepala and kabid
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    approve_plan(plan, rater_user=org.kabid.user, employee_user=org.employee.user)
    repeat = start(org.hr, cycle)
    assert (repeat.status_code, repeat.json()["assessments_created"], repeat.json()["unit_reviews_created"]) == (201, 1, 0)
    assert set(Assessment.objects.filter(cycle=cycle).values_list("employee_id", flat=True)) == {
        org.kepala.pk, org.kabid.pk, org.employee.pk
    }


def test_only_hr_starts_a_period(org, cycle):
    approve_all_plans(cycle)
    assert start(org.kepala.user, cycle).status_code == 403
    assert start(org.employee.user, cycle).status_code == 403
    assert start(UserFactory(username="orang.luar"), cycle).status_code == 404
    assert not Assessment.objects.exists()


def test_a_bad_period_or_a_quarter_of_an_annual_cycle_is_refused(org, cycle):
    approve_all_plans(cycle)
    assert start(org.hr, cycle, "Q5").json()["errors"]["period"]
    assert start(org.hr, cycle, "Q1").json()["errors"]["period"]
    cycle.period_type = "quarterly"
    cycle.save()
    assert start(org.hr, cycle, "Q1").status_code == 201


# The unit predicate -----------------------------------------------------------------------------------


def test_the_leader_one_level_above_sets_the_unit_predicate(org, cycle, evaluation):
    division = set_predicate(org.kepala.user, review_of(evaluation, org.division), "good")
    assert (division.status_code, division.json()["status"], division.json()["unit_predicate"]) == (200, "scoring", "good")
    assert set_predicate(org.sekda.user, review_of(evaluation, org.agency), "outstanding").json()["unit_predicate"] == "outstanding"
    assert (set_predicate(org.kepala.user, review_of(evaluation, org.division), "needs_improvement").json()["unit_predicate"]
            == "needs_improvement")


def test_a_wrong_actor_or_an_unknown_value_cannot_set_the_unit_predicate(org, cycle, evaluation):
    review = review_of(evaluation, org.division)
    assert set_predicate(org.hr, review).status_code == 403
    assert set_predicate(org.forum_member, review).status_code == 403
    assert set_predicate(org.kepala.user, review, "excellent").json()["errors"]["unit_predicate"]
    review.refresh_from_db()
    assert (review.status, review.unit_predicate) == ("open", "")


# The rater's ratings ----------------------------------------------------------------------------------


def test_the_rater_records_the_ratings_the_core_values_and_a_note(org, cycle, evaluation):
    response = rate(org.kabid.user, assessment_of(evaluation, org.employee), results_rating="above", behaviour_rating="as_expected",
                    behaviour_values={"service_orientation": "above", "collaboration": "as_expected"}, note="Inisiatif tinggi")
    assert response.status_code == 200
    body = response.json()
    assert (body["results_rating"], body["behaviour_rating"], body["note"], body["status"]) == (
        "above", "as_expected", "Inisiatif tinggi", "draft"
    )
    assert body["behaviour_values"] == {"service_orientation": "above", "collaboration": "as_expected"}


@pytest.mark.parametrize("body, field", [
    ({"behaviour_values": {"integrity": "above"}}, "behaviour_values"),
    ({"behaviour_values": {"loyalty": "superb"}}, "behaviour_values"),
    ({"results_rating": "excellent"}, "results_rating"),
    ({"behaviour_rating": 3}, "behaviour_rating"),
])
def test_an_unknown_core_value_or_rating_is_refused(org, cycle, evaluation, body, field):
    assessment = assessment_of(evaluation, org.employee)
    version = assessment.version
    response = rate(org.kabid.user, assessment, **body)
    assert response.status_code == 400 and response.json()["errors"][field]
    assessment.refresh_from_db()
    assert (assessment.results_rating, assessment.behaviour_values, assessment.version) == ("", {}, version)


def test_only_the_rater_rates_an_assessment(org, cycle, evaluation):
    assessment = assessment_of(evaluation, org.employee)
    assert rate(org.employee.user, assessment, results_rating="above").status_code == 403
    assert rate(org.kepala.user, assessment, results_rating="above").status_code == 403
    assert rate(org.other_kabid.user, assessment, results_rating="above").status_code == 404


@pytest.mark.parametrize("results, behaviour, predicate", [
    ("above", "above", "very_good"),
    ("above", "as_expected", "good"),
    ("as_expected", "below", "poor"),
    ("below", "above", "needs_improvement"),
    ("below", "below", "very_poor"),
])
def test_submitting_shows_the_predicate_the_matrix_gives(org, cycle, evaluation, results, behaviour, predicate):
    set_unit_predicates(evaluation)
    assessment = assessment_of(evaluation, org.employee)
    rate(org.kabid.user, assessment, results_rating=results, behaviour_rating=behaviour)
    response = post(org.kabid.user, assessment_url(assessment, "submit"))
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["predicate"], response.json()["rated_predicate"]) == (
        "submitted", predicate, predicate
    )


def test_an_assessment_waits_for_the_unit_predicate_and_complete_ratings(org, cycle, evaluation):
    assessment = assessment_of(evaluation, org.employee)
    rate(org.kabid.user, assessment, results_rating="above")
    early = post(org.kabid.user, assessment_url(assessment, "submit"))
    assert early.status_code == 409 and "predicate" in early.json()["detail"]
    set_unit_predicates(evaluation)
    assert post(org.kabid.user, assessment_url(assessment, "submit")).status_code == 409  # behaviour not rated
    rate(org.kabid.user, assessment, behaviour_rating="above")
    assert post(org.employee.user, assessment_url(assessment, "submit")).status_code == 403
    assert post(org.kabid.user, assessment_url(assessment, "submit")).status_code == 200


def test_ratings_cannot_change_after_submission(org, cycle, evaluation):
    set_unit_predicates(evaluation)
    assessment = rate_and_submit(assessment_of(evaluation, org.employee))
    response = rate(org.kabid.user, assessment, results_rating="below")
    assert response.status_code == 409 and response.json()["status"] == "submitted"
    assessment.refresh_from_db()
    assert assessment.results_rating == "as_expected"


@pytest.mark.parametrize("unit_predicate, results, predicate", [
    ("outstanding", "above", "very_good"),
    ("good", "as_expected", "good"),
    ("needs_improvement", "below", "needs_improvement"),
])
def test_the_unit_leaders_results_rating_follows_the_unit_predicate(org, cycle, evaluation, unit_predicate, results, predicate):
    set_predicate(org.sekda.user, review_of(evaluation, org.agency), "good")  # the review kabid's result sits in
    set_predicate(org.kepala.user, review_of(evaluation, org.division), unit_predicate)  # the unit he leads
    leader = assessment_of(evaluation, org.kabid)
    assert leader.is_unit_leader
    rate(org.kepala.user, leader, results_rating="below", behaviour_rating="above")
    body = post(org.kepala.user, assessment_url(leader, "submit")).json()
    assert (body["results_rating"], body["predicate"], body["unit_predicate"]) == (results, predicate, unit_predicate)


# The forum ------------------------------------------------------------------------------------------------


def test_the_forum_sees_every_assessment_the_distribution_and_each_rule_of_the_pattern(org, cycle, evaluation):
    set_unit_predicates(evaluation, "good")
    rate_all(evaluation)
    board = english(org.forum_member).get(review_url(review_of(evaluation, org.division))).json()
    # the division's staff; kabid is calibrated in the agency's review (kepala rates him)
    assert sorted(a["employee"]["id"] for a in board["assessments"]) == sorted([org.employee.pk, org.colleague.pk])
    assert board["total"] == 2 and board["distribution"] == {"very_good": 0, "good": 2, "needs_improvement": 0, "poor": 0, "very_poor": 0}
    assert [(rule["rule"]["op"], rule["passes"]) for rule in board["pattern"]] == [
        ("most", True), ("at_most_share", False), ("at_least_count", False)]
    assert len(board["departures"]) == 2


def test_neither_an_employee_nor_another_units_forum_sees_the_board(org, cycle, evaluation):
    assert english(org.employee.user).get(review_url(review_of(evaluation, org.division))).status_code == 404
    assert english(org.forum_member).get(review_url(review_of(evaluation, org.other_division))).status_code == 404


def test_the_forum_adjusts_a_rating_only_with_a_reason_and_only_in_its_unit(org, cycle, evaluation):
    set_unit_predicates(evaluation)
    rate_all(evaluation)
    review, assessment = review_of(evaluation, org.division), assessment_of(evaluation, org.employee)
    url = review_url(review, "adjust")
    assert post(org.forum_member, url, {"assessment": assessment.pk, "results_rating": "below"}).json()["errors"]["reason"]
    assert post(org.forum_member, url, {"assessment": assessment.pk, "results_rating": "below", "reason": "  "}).status_code == 400
    foreign = assessment_of(evaluation, org.other_employee)
    assert post(org.forum_member, url,
                {"assessment": foreign.pk, "behaviour_rating": "below", "reason": "Kalibrasi"}).json()["errors"]["assessment"]
    assert post(org.hr, url, {"assessment": assessment.pk, "behaviour_rating": "below", "reason": "Kalibrasi"}).status_code == 403
    adjusted = post(org.forum_member, url,
                    {"assessment": assessment.pk, "results_rating": "below", "reason": "Kalibrasi pola"}).json()
    assert (adjusted["results_rating"], adjusted["behaviour_rating"]) == ("below", "as_expected")
    assert (adjusted["predicate"], adjusted["rated_predicate"], adjusted["previous_predicate"]) == ("needs_improvement",) * 2 + ("good",)
    assert (adjusted["changed_by"], adjusted["adjusted"]) == ("forum", True)
    foreign.refresh_from_db()
    assert foreign.predicate == "good" and not foreign.adjusted


def test_the_forum_changes_a_rating_never_a_bare_predicate(org, cycle, evaluation):
    set_unit_predicates(evaluation)
    rate_all(evaluation)
    review, assessment = review_of(evaluation, org.division), assessment_of(evaluation, org.employee)
    refused = post(org.forum_member, review_url(review, "adjust"),
                   {"assessment": assessment.pk, "predicate": "needs_improvement", "reason": "Kalibrasi pola"})
    assert refused.status_code == 400 and refused.json()["errors"]["predicate"]
    assessment.refresh_from_db()
    assert (assessment.predicate, assessment.changed_by) == ("good", "")


def test_approving_a_departure_from_the_pattern_needs_a_justification_and_issues_every_result(org, cycle, evaluation):
    set_unit_predicates(evaluation, "good")
    rate_all(evaluation)
    review = review_of(evaluation, org.division)
    with at(1, 5, 2027):
        refused = post(org.forum_member, review_url(review, "approve"), {"justification": " "})
        approved = post(org.forum_member, review_url(review, "approve"), {"justification": "Sesuai rapat forum kalibrasi"})
    assert refused.status_code == 400 and "distribution pattern" in refused.json()["errors"]["justification"][0]
    assert (approved.status_code, approved.json()["status"], approved.json()["justification"]) == (
        200, "issued", "Sesuai rapat forum kalibrasi"
    )
    issued = Assessment.objects.filter(unit_review=review)
    assert {(a.status, a.objection_deadline) for a in issued} == {("issued", datetime.date(2027, 1, 19))}
    assert assessment_of(evaluation, org.other_employee).status == "submitted"  # another unit's review


@pytest.fixture
def evaluation_with_three_staff(org, request):
    """The ``evaluation``, with a third staff member in the division from before the cycle opened
    (two people cannot follow the pattern of a "good" unit: most, but at most 70%, good)."""
    add_staff(org, 1)
    return request.getfixturevalue("evaluation")


def test_a_distribution_that_follows_the_pattern_is_approved_without_a_justification(org, evaluation_with_three_staff):
    evaluation = evaluation_with_three_staff
    set_unit_predicates(evaluation, "good")
    rate_all(evaluation, {org.employee.pk: ("below", "as_expected")})  # one needs_improvement, two good
    review = review_of(evaluation, org.division)
    assert english(org.forum_member).get(review_url(review)).json()["departures"] == []
    assert post(org.forum_member, review_url(review, "approve")).json()["status"] == "issued"


def test_the_forum_approves_only_when_every_assessment_is_submitted_and_only_the_forum(org, cycle, evaluation):
    set_unit_predicates(evaluation)
    rate_and_submit(assessment_of(evaluation, org.employee))
    review = review_of(evaluation, org.division)
    body = {"justification": "Sesuai rapat"}
    assert post(org.kepala.user, review_url(review, "approve"), body).status_code == 403
    pending = post(org.forum_member, review_url(review, "approve"), body)
    assert pending.status_code == 409 and "1" in pending.json()["detail"]  # the colleague's
    assert assessment_of(evaluation, org.employee).status == "submitted"


def test_once_issued_the_unit_predicate_the_predicates_and_the_approval_are_locked(org, cycle, evaluation):
    set_unit_predicates(evaluation)
    rate_all(evaluation)
    review, assessment = review_of(evaluation, org.division), assessment_of(evaluation, org.employee)
    post(org.forum_member, review_url(review, "approve"), {"justification": "Sesuai rapat"})
    assert set_predicate(org.kepala.user, review, "poor").status_code == 409
    adjust = post(org.forum_member, review_url(review, "adjust"),
                  {"assessment": assessment.pk, "behaviour_rating": "below", "reason": "Terlambat"})
    assert adjust.status_code == 409 and adjust.json()["status"] == "issued"
    assert post(org.forum_member, review_url(review, "approve"), {"justification": "Lagi"}).status_code == 409
    assessment.refresh_from_db()
    assert (assessment.predicate, review_of(evaluation, org.division).unit_predicate) == ("good", "good")
