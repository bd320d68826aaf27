"""An objection (keberatan) in the browser: the employee objects to the issued result with
reasons; the rater and the employee explain; the rater's superior decides "changed" with new
ratings, and the result is final with the new predicate."""

import pytest

from processes.models import Assessment, Objection, UnitReview

from ..lifecycle import approve_all_plans, issue_unit, rate_and_submit, set_unit_predicates, start_evaluation
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


@pytest.fixture
def assessment(org, cycle) -> Assessment:
    """The division scored ("good" all round) and issued by its forum: the employee's result is open to objection."""
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation, "good")
    review = UnitReview.objects.get(evaluation=evaluation, unit=org.division)
    for each in Assessment.objects.filter(unit_review=review).select_related("member__rater__user"):
        rate_and_submit(each)
    issue_unit(review, org.forum_member)
    issued = Assessment.objects.get(unit_review=review, employee=org.employee)
    assert (issued.status, issued.predicate) == (Assessment.Status.ISSUED, "good")
    return issued


def test_an_objection_is_filed_explained_and_decided_changed(org, assessment, visit):
    url = f"/assessments/{assessment.pk}/"

    # The employee sees the issued result and files an objection.
    page = visit("employee")
    page.goto(f"{page.base}{url}")
    assert page.locator("#assessment-status").get_attribute("class") == "badge issued"
    assert page.locator("#result strong.predicate").get_attribute("class") == "predicate good"
    assert page.locator("#objection-deadline").is_visible()
    assert page.locator("#respond button[name=op][value=accept]").is_visible()
    page.fill("#reasons", "Capaian saya melebihi target: 14 laporan dari target 12, bukti di laporan bulanan.")
    screenshot(page, "assessment_objection_form")
    click_and_wait(page, page.locator("#objection-form button[type=submit]"))
    objection = Objection.objects.get(assessment=assessment)
    assert page.url == f"{page.base}/objections/{objection.pk}/"
    assert (objection.status, objection.decider_id) == (Objection.Status.AWAITING_EXPLANATIONS, org.kepala.pk)
    assert Assessment.objects.get(pk=assessment.pk).status == Assessment.Status.OBJECTED
    assert "14 laporan dari target 12" in page.locator("#objection-reasons").inner_text()

    # The employee explains once.
    page.fill("#explanation", "Notulen dan laporan bulanan Oktober dan November terlampir.")
    click_and_wait(page, page.locator("#explain-form button[type=submit]"))
    objection.refresh_from_db()
    assert objection.employee_explanation == "Notulen dan laporan bulanan Oktober dan November terlampir."
    assert page.locator("#explain-form").count() == 0
    assert "Notulen dan laporan bulanan" in page.locator("#explanations").inner_text()

    # The rater follows the inbox task and explains: the objection awaits the decision.
    rater = visit("kabid", language="en")
    click_and_wait(rater, rater.locator(f"table a[href='/objections/{objection.pk}/']"))
    assert rater.locator("#decide-form").count() == 0
    rater.fill("#explanation", "Penilaian sesuai capaian; target tambahan belum tercapai.")
    click_and_wait(rater, rater.locator("#explain-form button[type=submit]"))
    assert rater.locator(".messages li.success").inner_text() == "Your explanation was recorded."
    objection.refresh_from_db()
    assert objection.status == Objection.Status.AWAITING_DECISION
    assert objection.rater_explanation == "Penilaian sesuai capaian; target tambahan belum tercapai."

    # The rater's superior decides: changed, with new ratings and reasons.
    superior = visit("kepala", language="en")
    click_and_wait(superior, superior.locator(f"table a[href='/objections/{objection.pk}/']"))
    assert superior.locator("#explain-form").count() == 0
    form = superior.locator("#decide-form")
    form.locator("input[name=outcome][value=changed]").check()
    form.locator("#results_rating").select_option("above")
    form.locator("#behaviour_rating").select_option("above")
    form.locator("#reasons").fill("Bukti capaian melebihi target diterima.")
    click_and_wait(superior, form.get_by_role("button", name="Decide"))
    assert superior.locator(".messages li.success").inner_text() == "The objection was decided."
    objection.refresh_from_db()
    assert (objection.status, objection.outcome) == (Objection.Status.DECIDED, Objection.Outcome.CHANGED)
    assert (objection.results_rating, objection.behaviour_rating) == ("above", "above")
    assert objection.decision_reasons == "Bukti capaian melebihi target diterima."
    assessment.refresh_from_db()
    assert (assessment.status, assessment.predicate) == (Assessment.Status.FINAL, "very_good")
    assert (assessment.results_rating, assessment.behaviour_rating) == ("above", "above")
    decision = superior.locator("#decision").inner_text()
    assert "Result changed" in decision and "Bukti capaian melebihi target diterima." in decision
    assert superior.locator("#decide-form").count() == 0
    assert superior.locator("#objection-status").inner_text() == "Decided"
    screenshot(superior, "objection_decision")

    # The employee's result is final, with the new predicate and no response left to give.
    page.goto(f"{page.base}{url}")
    assert page.locator("#assessment-status").get_attribute("class") == "badge final"
    assert page.locator("#result strong.predicate").get_attribute("class") == "predicate very_good"
    assert page.locator("#respond").count() == 0
    page.goto(f"{page.base}/objections/{objection.pk}/")
    assert page.locator("#decision").is_visible()
