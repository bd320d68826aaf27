"""Issue 13, point 6: results issued are documents at once. From the forum's approval the
employee (and whoever may see the assessment) downloads the evaluation document, marked as not
yet ratified until it is; every message of the endpoint is translated."""

import pytest

from processes.models import Assessment
from processes.services.result_outputs import NOT_RATIFIED_MARK, RATIFIED_MARK
from processes.services.scoring import unit_review_ratify

from ..conftest import client_for
from .helpers import assessment_url, english, finalise, issued_evaluation, ratifier_of
from .test_results_api import reviews

pytestmark = pytest.mark.django_db


def document(user, assessment):
    return client_for(user).get(assessment_url(assessment, "document"))


def test_the_employee_downloads_the_issued_result_at_once_marked_not_yet_ratified(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    assert assessment.status == Assessment.Status.ISSUED
    for user in (org.employee.user, org.kabid.user, org.hr):
        response = document(user, assessment)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert NOT_RATIFIED_MARK.encode() in response.content and RATIFIED_MARK.encode() not in response.content
    assert "Belum ditetapkan" in NOT_RATIFIED_MARK and "not yet ratified" in NOT_RATIFIED_MARK.lower()


def test_after_ratification_it_is_the_ratified_document(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    finalise(evaluation)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    assert NOT_RATIFIED_MARK.encode() in document(org.employee.user, assessment).content  # final, not yet ratified
    unit_review_ratify(review=reviews(evaluation)[org.division.pk], actor=ratifier_of(cycle))
    content = document(org.employee.user, assessment).content
    assert RATIFIED_MARK.encode() in content and NOT_RATIFIED_MARK.encode() not in content


def test_before_the_forum_approves_there_is_no_document_and_the_404_is_in_indonesian(org, cycle):
    from ..lifecycle import approve_all_plans, rate_all, set_unit_predicates, start_evaluation

    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation)
    rate_all(evaluation)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    assert assessment.status == Assessment.Status.SUBMITTED
    response = document(org.employee.user, assessment)
    assert response.status_code == 404
    assert "Dokumen evaluasi" in response.json()["detail"]
    english_detail = english(org.employee.user).get(assessment_url(assessment, "document")).json()["detail"]
    assert english_detail.startswith("The evaluation document")


def test_someone_who_may_not_see_the_assessment_gets_nothing(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    assert document(org.colleague.user, assessment).status_code == 404
