"""The calibration forum (forum kalibrasi kinerja) in the browser: the division's board with the distribution of
predicates and the pattern for the unit's predicate; one rating adjusted with a reason (the predicate
follows from the ratings), then the unit approved with a justification, which issues the assessments."""

import pytest

from processes.models import Assessment, UnitReview

from ..factories import EmployeeFactory
from ..lifecycle import approve_all_plans, rate_and_submit, set_unit_predicates, start_evaluation
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


@pytest.fixture
def staff_a3(org):
    """A third staff member of the division, rated by kabid: the division's review holds its
    staff (kabid is calibrated in the agency's review, whose leader rates him)."""
    return EmployeeFactory(name="Staf A3", user__username="staf.a3", position__unit=org.division,
                           position__superior=org.kabid.position)


@pytest.fixture
def review(org, staff_a3, request):
    """Every plan approved, the annual period started, the unit predicates "good", and every
    assessment of the division rated as expected ("good") and submitted."""
    cycle = request.getfixturevalue("cycle")  # opened after the third staff member joined
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation, "good")
    division = UnitReview.objects.get(evaluation=evaluation, unit=org.division)
    for assessment in Assessment.objects.filter(unit_review=division).select_related("member__rater__user"):
        rate_and_submit(assessment)
    division.refresh_from_db()
    assert division.status == UnitReview.Status.SCORING
    return division


def pattern_badges(page) -> list[str]:
    return page.locator("#pattern ul.rules li .badge").all_inner_texts()


def test_the_forum_adjusts_a_rating_and_approves_the_unit_which_issues_the_results(org, staff_a3, review, visit):
    assessments = {a.employee_id: a for a in Assessment.objects.filter(unit_review=review)}
    assert set(assessments) == {org.employee.pk, org.colleague.pk, staff_a3.pk}
    adjusted = assessments[org.colleague.pk]

    page = visit("forum", language="en")
    page.locator("header nav").get_by_role("link", name="Unit reviews").click()
    page.wait_for_url(f"{page.base}/reviews/")
    row = page.locator("tr", has=page.get_by_role("link", name="Bidang A"))
    assert "waiting for you" in row.inner_text() and row.locator("td").nth(3).inner_text() == "3"
    assert page.get_by_role("link", name="Bidang B").count() == 0  # not this forum's unit
    click_and_wait(page, row.get_by_role("link", name="Bidang A"))
    assert page.url == f"{page.base}/reviews/{review.pk}/"
    assert page.locator("h1").inner_text() == "Bidang A — Annual 2026"

    # The chart: all three "good"; the pattern for a "good" unit: two rules departed from.
    assert page.locator("#distribution h2 .badge").inner_text() == "3"
    bars = page.locator("#distribution .chart-row")
    assert bars.count() == 5
    good = bars.filter(has_text="Good").filter(has_not_text="Very good")
    assert good.locator("span").last.inner_text() == "3"
    assert good.locator(".fill").get_attribute("style") == "width: 100%"
    assert pattern_badges(page) == ["pass", "departure", "departure"]
    assert page.locator("#approve ul li").count() == 2  # the departures to justify
    assert page.locator("#justification").get_attribute("required") is not None
    assert page.locator("#assessments tbody tr").count() == 3
    screenshot(page, "forum_board")

    # The forum lowers the colleague's results rating, with a reason: the predicate follows.
    line = page.locator(f"#assessment-{adjusted.pk}")
    line.locator("summary").click()
    line.locator(f"#results-{adjusted.pk}").select_option("below")
    line.locator(f"#reason-{adjusted.pk}").fill("Target laporan triwulan III tidak tercapai menurut notulen rapat.")
    click_and_wait(page, line.get_by_role("button", name="Change the ratings"))
    assert page.locator(".messages li.success").inner_text() == (
        "The ratings are changed and the reason recorded; the predicate follows from them.")
    adjusted.refresh_from_db()
    assert (adjusted.results_rating, adjusted.behaviour_rating) == ("below", "as_expected")
    assert (adjusted.predicate, adjusted.rated_predicate, adjusted.previous_predicate) == ("needs_improvement",) * 2 + ("good",)
    assert (adjusted.changed_by, adjusted.adjusted) == ("forum", True)
    assert adjusted.status == Assessment.Status.SUBMITTED
    line = page.locator(f"#assessment-{adjusted.pk}")
    text = line.inner_text()
    assert "Needs improvement" in text and "changed by the calibration forum" in text and "from Good" in text
    assert pattern_badges(page) == ["pass", "pass", "pass"]
    assert "follow the distribution pattern" in page.locator("#approve").inner_text()

    # Approved with a justification: the unit's results are issued.
    page.fill("#justification", "Sesuai hasil rapat forum kalibrasi kinerja tanggal 20 Januari.")
    click_and_wait(page, page.locator("#approve").get_by_role("button", name="Approve"))
    assert page.locator(".messages li.success").inner_text() == "The unit's results are approved and issued to the employees."
    review.refresh_from_db()
    assert review.status == UnitReview.Status.ISSUED
    assert review.justification == "Sesuai hasil rapat forum kalibrasi kinerja tanggal 20 Januari."
    issued = Assessment.objects.filter(unit_review=review)
    assert {a.status for a in issued} == {Assessment.Status.ISSUED}
    assert all(a.issued_at and a.objection_deadline for a in issued)
    assert sorted(a.predicate for a in issued) == ["good", "good", "needs_improvement"]
    assert page.locator("#approve").count() == 0 and page.locator(f"#assessment-{adjusted.pk} details").count() == 0
    assert page.locator("p .badge.issued").inner_text() == "Results issued"
    assert "Sesuai hasil rapat forum kalibrasi kinerja" in page.locator("main").inner_text()
