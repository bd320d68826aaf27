"""The forum's pages: the unit reviews list and one unit's board, with the unit predicate, the
forum's adjustments and approval, and ratification through the forms."""

import pytest
from django.test import Client

from processes.models import Assessment, UnitReview

from ..api.helpers import at, colleague_feedback, division_staff, finalise, issued_evaluation, public_answers, public_link, ratifier_of
from ..factories import UserFactory
from ..lifecycle import approve_all_plans, rate_all, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def url(review) -> str:
    return f"/reviews/{review.pk}/"


def review_of(evaluation, unit) -> UnitReview:
    return UnitReview.objects.get(evaluation=evaluation, unit=unit)


def assessment_of(evaluation, employee) -> Assessment:
    return Assessment.objects.get(evaluation=evaluation, employee=employee)


@pytest.fixture
def evaluation(org, cycle):
    """Every plan approved and the annual period started: each unit awaits its predicate."""
    approve_all_plans(cycle)
    return start_evaluation(cycle, org.hr)


@pytest.fixture
def scored(org, evaluation):
    """Every unit predicate "good", every assessment rated as expected and submitted."""
    set_unit_predicates(evaluation, "good")
    rate_all(evaluation)
    return evaluation


# The list ----------------------------------------------------------------------------------------


def test_the_list_shows_each_user_the_reviews_that_concern_them(org, evaluation):
    forum = browser(org.forum_member).get("/reviews/")
    assert forum.status_code == 200
    assert "Bidang A" in forum.text and "Bidang B" not in forum.text and "Kinerja 2026" in forum.text
    setter = browser(org.kepala.user).get("/reviews/").text  # the leader above both divisions
    assert "Bidang A" in setter and "Bidang B" in setter and "waiting for you" in setter
    nobody = browser(org.employee.user).get("/reviews/")
    assert nobody.status_code == 200 and "No unit review is in your view." in nobody.text
    assert Client().get("/reviews/").status_code == 302  # to the login page


def test_the_ratifying_official_sees_which_units_are_ready_to_ratify(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    official = ratifier_of(cycle)
    assert "ready to ratify" not in browser(official).get("/reviews/").text
    finalise(evaluation)
    page = browser(official).get("/reviews/").text
    assert page.count("ready to ratify") == 3 and page.count('class="highlight"') == 3
    assert "ready to ratify" not in browser(org.hr).get("/reviews/").text  # HR sees them, does not ratify


# The board: who sees it and which forms ---------------------------------------------------------


def test_the_board_is_shown_to_the_forum_the_setter_the_ratifying_official_and_hr_only(org, cycle, evaluation):
    review = review_of(evaluation, org.division)
    for user in (org.forum_member, org.kepala.user, ratifier_of(cycle), org.hr):
        assert browser(user).get(url(review)).status_code == 200
    assert browser(org.employee.user).get(url(review)).status_code == 404
    assert browser(org.forum_member).get(url(review_of(evaluation, org.other_division))).status_code == 404
    assert browser(UserFactory(username="orang.luar")).get(url(review)).status_code == 404


def test_each_user_sees_only_the_forms_of_what_they_may_do(org, evaluation):
    review = review_of(evaluation, org.division)
    setter = browser(org.kepala.user).get(url(review)).text
    assert 'value="set_unit_predicate"' in setter and 'value="approve"' not in setter
    assert 'value="set_unit_predicate"' not in browser(org.forum_member).get(url(review)).text
    set_unit_predicates(evaluation, "good")
    rate_all(evaluation)
    forum = browser(org.forum_member).get(url(review)).text
    assert 'value="approve"' in forum and forum.count('value="adjust"') == 2  # the division's staff (kabid is in the agency's)
    assert 'value="set_unit_predicate"' not in forum and 'value="ratify"' not in forum
    hr = browser(org.hr).get(url(review)).text
    assert not any(f'value="{action}"' in hr for action in ("set_unit_predicate", "adjust", "approve", "ratify"))


def test_a_forbidden_post_is_refused_and_changes_nothing(org, cycle, scored):
    review, assessment = review_of(scored, org.division), assessment_of(scored, org.employee)
    refused = [
        browser(org.forum_member).post(url(review), {"action": "set_unit_predicate", "unit_predicate": "poor"}),
        browser(org.kepala.user).post(url(review), {"action": "approve", "justification": "Sesuai rapat"}),
        browser(org.hr).post(url(review), {"action": "adjust", "assessment": assessment.pk, "results_rating": "below",
                                           "behaviour_rating": "as_expected", "reason": "x"}),
        browser(org.forum_member).post(url(review), {"action": "ratify"}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    assert "You may not “Set the unit predicate” this document." in refused[0].text
    assert browser(org.employee.user).post(url(review), {"action": "approve", "justification": "x"}).status_code == 404
    review.refresh_from_db()
    assessment.refresh_from_db()
    assert (review.status, review.unit_predicate, assessment.predicate, assessment.adjusted) == ("scoring", "good", "good", False)


# The happy paths through the forms --------------------------------------------------------------


def test_the_leader_above_sets_the_unit_predicate(org, evaluation):
    review = review_of(evaluation, org.division)
    response = browser(org.kepala.user).post(url(review), {"action": "set_unit_predicate", "unit_predicate": "outstanding"}, follow=True)
    assert response.status_code == 200 and "The unit predicate is set." in response.text
    review.refresh_from_db()
    assert (review.status, review.unit_predicate) == ("scoring", "outstanding")
    assert "most are Very good" in response.text  # the pattern of the new predicate
    invalid = browser(org.kepala.user).post(url(review), {"action": "set_unit_predicate", "unit_predicate": "splendid"})
    assert invalid.status_code == 400 and "Choose outstanding, good" in invalid.text


def test_the_forum_adjusts_a_rating_only_with_a_written_reason_and_the_predicate_follows(org, scored):
    review, assessment = review_of(scored, org.division), assessment_of(scored, org.employee)
    forum = browser(org.forum_member)
    lower = {"action": "adjust", "assessment": assessment.pk, "results_rating": "below", "behaviour_rating": "as_expected"}
    missing = forum.post(url(review), {**lower, "reason": " "})
    assert missing.status_code == 400 and "Give the reason for the change." in missing.text
    assert "<details open>" in missing.text  # the row's form stays open with the error in place
    unchanged = forum.post(url(review), {**lower, "results_rating": "as_expected", "reason": "Kalibrasi"})
    assert unchanged.status_code == 400 and "Give a results or behaviour rating other than the current one." in unchanged.text
    foreign = forum.post(url(review), {**lower, "assessment": assessment_of(scored, org.other_employee).pk, "reason": "Kalibrasi"})
    assert foreign.status_code == 400 and "This assessment is not part of the unit&#x27;s review." in foreign.text
    assessment.refresh_from_db()
    assert (assessment.predicate, assessment.adjusted) == ("good", False)
    done = forum.post(url(review), {**lower, "reason": "Kalibrasi pola distribusi"}, follow=True)
    assert "The ratings are changed and the reason recorded; the predicate follows from them." in done.text
    assert "changed by the calibration forum" in done.text and "from Good" in done.text
    assessment.refresh_from_db()
    assert (assessment.results_rating, assessment.predicate, assessment.rated_predicate) == ("below",) + ("needs_improvement",) * 2
    assert (assessment.previous_predicate, assessment.changed_by, assessment.adjusted) == ("good", "forum", True)


def test_approving_a_departure_needs_a_justification_shown_in_place_then_issues(org, scored):
    review = review_of(scored, org.division)
    forum = browser(org.forum_member)
    page = forum.get(url(review)).text
    assert page.count("departure</span>") == 2 and page.count("pass</span>") == 1
    refused = forum.post(url(review), {"action": "approve", "justification": ""})
    assert refused.status_code == 400
    section = refused.text.split('id="approve"')[1]
    assert "depart from the distribution pattern" in section.split('class="errorlist"')[1]
    review.refresh_from_db()
    assert review.status == "scoring"
    approved = forum.post(url(review), {"action": "approve", "justification": "Sesuai rapat forum kalibrasi"}, follow=True)
    assert "issued to the employees" in approved.text
    review.refresh_from_db()
    assert (review.status, review.justification) == ("issued", "Sesuai rapat forum kalibrasi")
    assert set(Assessment.objects.filter(unit_review=review).values_list("status", flat=True)) == {"issued"}
    assert 'value="approve"' not in approved.text and 'value="adjust"' not in approved.text


def test_the_ratifying_official_ratifies_once_every_result_is_final(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    review, official = review_of(evaluation, org.division), ratifier_of(cycle)
    waiting = browser(official).get(url(review)).text
    assert "2 results of the unit are not final yet." in waiting and 'value="ratify"' not in waiting
    early = browser(official).post(url(review), {"action": "ratify"})
    assert early.status_code == 409 and "not final" in early.text
    finalise(evaluation)
    assert 'value="ratify"' in browser(official).get(url(review)).text
    done = browser(official).post(url(review), {"action": "ratify", "comment": "Ditetapkan"}, follow=True)
    assert "The unit&#x27;s results are ratified." in done.text
    review.refresh_from_db()
    assert review.status == "ratified"
    assert set(Assessment.objects.filter(unit_review=review).values_list("status", flat=True)) == {"ratified"}


# What the board shows ---------------------------------------------------------------------------


def test_the_board_shows_ratings_the_distribution_and_the_feedback(org, scored):
    a3, a4 = division_staff(org, scored.cycle, "Staf A3", "Staf A4")
    review, assessment = review_of(scored, org.division), assessment_of(scored, org.employee)
    colleague_feedback(assessment, [
        (org.colleague, "above", "Ramah"), (a3, "below", "Kurang teliti"), (a4, "above", ""),
    ])
    with at(6, 10):
        public_answers(public_link(org.hr, unit=org.division), 5, 4)
        public_answers(public_link(org.hr, employee=org.employee), 3)
    page = browser(org.forum_member).get(url(review)).text
    for text in ("Staf A1", "Staf A2", "Kabid A", "As expected", "Submitted", "Kabid A</td>"):
        assert text in page
    assert 'style="width: 100%"' in page and "<span>2</span>" in page  # two Good of two (kabid, their rater, is in the agency's review)
    assert "Colleagues: 3 answers" in page and "Kurang teliti" in page
    assert "Public: 3.0 ★ (1)" in page or "Public: 3 ★ (1)" in page
    assert "Average 4.0 ★ from 3 ratings in the period." in page  # the unit with its counters
