"""Colleagues' feedback is put in front of the forum, not of everyone who sees the unit's review."""

import pytest

from ..lifecycle import approve_all_plans, set_unit_predicates, start_evaluation
from ..processes.conftest import assessment_of, review_of
from .helpers import colleague_feedback, division_staff, english

pytestmark = pytest.mark.django_db


def test_the_forum_sees_colleagues_feedback_on_the_board_but_hr_does_not(org, cycle):
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    a3, a4 = division_staff(org, cycle, "Staf A3", "Staf A4")
    set_unit_predicates(evaluation, "good")
    assessment = assessment_of(evaluation, org.employee)
    colleague_feedback(assessment, [(org.colleague, "above", "Sigap"), (a3, "above", "Ramah"),
                                    (a4, "as_expected", "Teliti")])
    url = f"/api/v1/unit-reviews/{review_of(evaluation, org.division).pk}/"

    forum = english(org.forum_member).get(url).json()["feedback"]
    hr = english(org.hr).get(url).json()["feedback"]

    assert forum["colleagues"][str(assessment.pk)]["comments"] == ["Ramah", "Sigap", "Teliti"]
    assert hr["colleagues"] == {} and hr["public"] is not None
