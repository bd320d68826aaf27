"""HR's dashboard in the browser: the cycles list, then one cycle's progress per stage and unit
(matching the database), the late reports and the overdue tasks with their holders, and a
drill-down to a document page."""

import re

import pytest
from django.db.models import Count
from django.utils import timezone, translation

from processes.models import Assessment, Indicator, MonthlyReport, Plan, UnitReview
from processes.services.reports import report_for_month, report_update_realisations
from workflow.engine import perform
from workflow.models import OpenTask

from ..lifecycle import approve_all_plans, issue_unit, rate_and_submit, set_unit_predicates, start_evaluation
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)
COUNT = re.compile(r"\s*([^:]+?):\s*(\d+)")


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


@pytest.fixture
def year_so_far(org, cycle):
    """Every plan approved; the employee's January report submitted late and accepted, the other
    division's employee's January report never submitted (overdue); the annual period started
    and the division issued by its forum."""
    approve_all_plans(cycle)
    plans = {plan.employee_id: plan for plan in Plan.objects.filter(cycle=cycle)}
    late, _ = report_for_month(plan=plans[org.employee.pk], month=1, actor=org.employee.user)
    indicator = Indicator.objects.get(result__plan_id=late.plan_id)
    report_update_realisations(report=late, actor=org.employee.user, items=[{"indicator": indicator.pk, "value": "3", "note": ""}])
    perform(late, "submit", actor=org.employee.user)
    perform(late, "accept", actor=org.kabid.user, comment="Terlambat, tetapi lengkap")
    missing, _ = report_for_month(plan=plans[org.other_employee.pk], month=1, actor=org.other_employee.user)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation, "good")
    division = UnitReview.objects.get(evaluation=evaluation, unit=org.division)
    for assessment in Assessment.objects.filter(unit_review=division).select_related("member__rater__user"):
        rate_and_submit(assessment)
    issue_unit(division, org.forum_member)
    return {"late": MonthlyReport.objects.get(pk=late.pk), "missing": missing, "division": division}


def expected_counts(queryset, statuses) -> tuple[dict, dict]:
    """What the stage should show: {status label: count} and {unit name: total}, in English."""
    with translation.override("en"):
        by_status = {str(statuses(row["status"]).label): row["n"]
                     for row in queryset.values("status").annotate(n=Count("id")).order_by()}
    by_unit = {row["unit__name"]: row["n"] for row in queryset.values("unit__name").annotate(n=Count("id")).order_by()}
    return by_status, by_unit


def shown_counts(stage) -> tuple[int, dict, dict]:
    """A stage card's total badge, its legend ({label: count}) and its rows per unit ({name: total})."""
    total = int(stage.locator("h3 > .badge").first.inner_text())
    legend = {label.strip(): int(n) for label, n in COUNT.findall(stage.locator(".legend").inner_text())}
    units = {}
    for n in range(stage.locator(".chart-row").count()):
        cells = stage.locator(".chart-row").nth(n).locator(":scope > span")
        units[cells.nth(0).inner_text().strip()] = int(cells.nth(1).inner_text().split()[0])
    return total, legend, units


def test_hr_follows_the_cycle_on_its_dashboard_and_drills_down_to_a_document(org, cycle, year_so_far, visit):
    page = visit("hr", language="en")
    click_and_wait(page, page.locator("header nav").get_by_role("link", name="HR"))
    assert page.url == f"{page.base}/hr/cycles/"
    row = page.locator("tr", has=page.get_by_role("link", name="Kinerja 2026"))
    assert row.locator(".badge.open").inner_text() == "Open" and "Badan" in row.inner_text()
    screenshot(page, "hr_cycles")
    click_and_wait(page, row.get_by_role("link", name="Kinerja 2026"))
    assert page.url == f"{page.base}/hr/cycles/{cycle.pk}/"

    # Progress per stage and unit, as in the database.
    plans = Plan.objects.filter(cycle=cycle)
    reports = MonthlyReport.objects.filter(cycle=cycle)
    assessments = Assessment.objects.filter(cycle=cycle)
    for key, queryset, statuses in (("plan", plans, Plan.Status), ("report", reports, MonthlyReport.Status),
                                    ("assessment", assessments, Assessment.Status)):
        total, legend, units = shown_counts(page.locator(f"#stage-{key}"))
        assert (total, legend, units) == (queryset.count(), *expected_counts(queryset, statuses)), key
    assert shown_counts(page.locator("#stage-plan"))[1] == {"Approved": 6}
    assert shown_counts(page.locator("#stage-plan"))[2] == {"Badan": 1, "Bidang A": 3, "Bidang B": 2}
    assert shown_counts(page.locator("#stage-report"))[1] == {"Accepted": 1, "Open": 1}
    # the division's staff (kabid's result is in the agency's review, not issued)
    assert shown_counts(page.locator("#stage-assessment"))[1]["Issued"] == 2 == assessments.filter(status="issued").count()
    assert page.locator("#stage-report h3 .badge.late").inner_text() == "1 late"
    reviews = page.locator("#unit-reviews tbody tr")
    assert reviews.count() == UnitReview.objects.filter(cycle=cycle).count() == 3
    assert reviews.filter(has_text="Bidang A").locator(".badge").inner_text() == "Results issued"

    # The late reports: one submitted late, one not submitted at all.
    late, missing = year_so_far["late"], year_so_far["missing"]
    assert late.late and missing.status == MonthlyReport.Status.OPEN
    listed = page.locator("#late-reports tbody tr")
    assert page.locator("#late-reports h2 .badge").inner_text() == "2" and listed.count() == 2
    assert listed.filter(has_text="Staf A1").locator(".badge").inner_text() == "submitted late"
    assert listed.filter(has_text="Staf B1").locator(".badge").inner_text() == "not submitted"
    assert listed.filter(has_text="Staf B1").locator("td").nth(2).inner_text() == "1/2026"

    # The overdue tasks, with who holds each: the unsubmitted report's, held by its owner.
    overdue = OpenTask.objects.pending().filter(due_at__lt=timezone.now())
    assert list(overdue.values_list("document_type", "document_id")) == [("report", missing.pk)]
    tasks = page.locator("#overdue tbody tr")
    assert page.locator("#overdue h2 .badge").inner_text() == "1" and tasks.count() == 1
    cells = tasks.first.locator("td").all_inner_texts()
    assert cells[2] == "Staf B1" and cells[3] == timezone.localtime(missing.due_at).strftime("%-d %b %Y")
    screenshot(page, "hr_cycle_dashboard")

    # Drill down: the task's link opens the report's page.
    click_and_wait(page, tasks.first.locator("a"))
    assert page.url == f"{page.base}/reports/{missing.pk}/"
    assert "Staf B1" in page.locator("h1").inner_text()
    assert page.locator("#report-status").inner_text() == "Open" and page.locator(".badge.overdue").first.is_visible()
    assert page.locator("#realisation-form").count() == 0 and page.locator("#review-form").count() == 0  # HR only reads
