"""Issue 13, point 6: the rater sees the pattern while rating. The unit's review (distribution,
pattern rules, pass or departure) is readable by every rater whose ratees are in it, on the API
and the page; other employees' notes stay hidden and the rater gets no forum action."""

import pytest

from processes.models import Assessment, CycleMember
from processes.roles import REVIEW_RATER_ROLE, authorize
from processes.selectors import unit_reviews_visible_to

from ..conftest import client_for
from ..lifecycle import approve_all_plans, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db


@pytest.fixture
def rating(org, cycle):
    """The period started, unit predicates set; the employee's assessment carries a note."""
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation)
    mine = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    Assessment.objects.filter(pk=mine.pk).update(note="Catatan untuk pegawai")
    return mine


def test_the_rater_reads_the_review_of_their_ratee_with_the_distribution_and_the_pattern(org, rating):
    review = rating.unit_review
    rater = rating.member.rater.user
    response = client_for(rater).get(f"/api/v1/unit-reviews/{review.pk}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body["distribution"]) >= {"very_good", "good"} and body["pattern"]
    assert all("passes" in rule for rule in body["pattern"])
    assert {"approve", "adjust", "ratify", "set_unit_predicate"}.isdisjoint(body["allowed_actions"])
    assert any(a["note"] == "Catatan untuk pegawai" for a in body["assessments"])  # their own ratee's note
    page = client_for(rater)
    page.force_login(rater)
    assert page.get(f"/reviews/{review.pk}/").status_code == 200


def test_a_rater_sees_the_review_but_not_the_notes_of_employees_they_do_not_rate(org, rating):
    review = rating.unit_review
    # A second rater in the review, outside the employee's reporting line: HR's correction of one line.
    other = Assessment.objects.filter(unit_review=review).exclude(pk=rating.pk).first()
    CycleMember.objects.filter(pk=other.member_id).update(rater=org.other_kabid)
    Assessment.objects.filter(pk=other.pk).update(note="Catatan lain")
    stranger_rater = org.other_kabid.user
    assert authorize(stranger_rater, REVIEW_RATER_ROLE.name, review) is not None
    assert unit_reviews_visible_to(stranger_rater).filter(pk=review.pk).exists()
    body = client_for(stranger_rater).get(f"/api/v1/unit-reviews/{review.pk}/").json()
    notes = {a["id"]: a["note"] for a in body["assessments"]}
    assert notes == {**{pk: "" for pk in notes}, other.pk: "Catatan lain"}
    assert body["allowed_actions"] == []


def test_an_employee_who_rates_nobody_in_the_review_still_gets_404(org, rating):
    review = rating.unit_review
    assert authorize(org.colleague.user, REVIEW_RATER_ROLE.name, review) is None
    assert client_for(org.colleague.user).get(f"/api/v1/unit-reviews/{review.pk}/").status_code == 404
