"""An employee's plan (SKP) in the browser: drafted with the add-row script, submitted, returned
by the rater with a comment, changed and resubmitted, approved; the history lists the steps."""

import pytest

from processes.models import Indicator, Plan, PlanResult

from ..conftest import plan_of
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)


def click_and_wait(page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


def history_rows(page) -> list[tuple[str, ...]]:
    """The history table's rows as (action, by, status, comment), in English."""
    history = page.locator("section.card").filter(has=page.get_by_role("heading", name="History", exact=True))
    rows = history.locator("tbody tr")
    return [tuple(cell.strip() for cell in rows.nth(n).locator("td").all_inner_texts()[1:]) for n in range(rows.count())]


def test_a_plan_is_drafted_returned_with_a_comment_resubmitted_and_approved(org, cycle, approved_chain, visit):
    plan = plan_of(cycle, org.employee)
    supported = approved_chain["kabid_result"]

    # The employee follows the inbox's link to the plan, which offers one blank row.
    page = visit("employee")
    click_and_wait(page, f"table a[href='/plans/{plan.pk}/']")  # the task, not the notification
    assert page.url == f"{page.base}/plans/{plan.pk}/"
    assert page.locator("#plan-status").get_attribute("class") == "badge draft"
    first = page.locator(".result-row").first
    assert page.locator(".result-row").count() == 1 and first.locator(".indicator-row").count() == 1
    first.locator("textarea[name$='-title']").fill("Laporan keuangan bidang tersusun tepat waktu")
    first.locator("select[name$='-supports']").select_option(str(supported.pk))
    first.locator("input[name$='-description']").fill("Laporan keuangan bulanan")
    first.locator("input[name$='-target']").fill("12 laporan")

    # The add-row script: a second indicator in the first result, then a second result.
    first.locator("button[data-add-indicator]").click()
    assert first.locator(".indicator-row").count() == 2
    second_indicator = first.locator(".indicator-row").nth(1)
    assert second_indicator.locator("input[name$='-description']").evaluate("e => e === document.activeElement")
    second_indicator.locator("input[name$='-description']").fill("Laporan diserahkan sebelum tanggal 10")
    second_indicator.locator("input[name$='-target']").fill("100%")
    second_indicator.locator("select[name$='-aspect']").select_option("time")
    page.locator("button[data-add-result]").click()
    assert page.locator(".result-row").count() == 2
    second = page.locator(".result-row").nth(1)
    second.locator("textarea[name$='-title']").fill("Arsip dokumen bidang tertata")
    second.locator("select[name$='-kind']").select_option("additional")
    second.locator("select[name$='-supports']").select_option(str(supported.pk))
    second.locator("input[name$='-description']").fill("Dokumen terarsip digital")
    second.locator("input[name$='-target']").fill("200 dokumen")
    second.locator("select[name$='-aspect']").select_option("quality")
    screenshot(page, "plan_edit")

    click_and_wait(page, "button[name=op][value=save]")
    assert page.locator(".messages li.success").count() == 1
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT
    results = list(PlanResult.objects.filter(plan=plan).order_by("order", "id"))
    assert [(r.title, r.kind, r.supports_id) for r in results] == [
        ("Laporan keuangan bidang tersusun tepat waktu", "main", supported.pk),
        ("Arsip dokumen bidang tertata", "additional", supported.pk),
    ]
    assert sorted(Indicator.objects.filter(result__plan=plan).values_list("description", "target", "aspect")) == sorted([
        ("Laporan keuangan bulanan", "12 laporan", "quantity"),
        ("Laporan diserahkan sebelum tanggal 10", "100%", "time"),
        ("Dokumen terarsip digital", "200 dokumen", "quality"),
    ])
    # The saved rows come back under their ids; submitting saves them again.
    assert page.locator(".result-row").count() == 2 and page.locator(".indicator-row").count() == 3
    click_and_wait(page, "button[name=op][value=save_submit]")
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SUBMITTED
    assert page.locator("#plan-form").count() == 0 and page.locator("#plan-content .result-view").count() == 2

    # The rater returns it with a comment.
    rater = visit("kabid", language="en")
    rater.goto(f"{rater.base}/plans/{plan.pk}/")
    rater.fill("#comment", "Target laporan keuangan dinaikkan menjadi 24.")
    click_and_wait(rater, "button[name=op][value=return]")
    plan.refresh_from_db()
    assert (plan.status, plan.review_comment) == (Plan.Status.RETURNED, "Target laporan keuangan dinaikkan menjadi 24.")
    assert rater.locator("#review-form").count() == 0

    # The employee sees the comment, changes the target and resubmits.
    page.goto(f"{page.base}/plans/{plan.pk}/")
    assert page.locator("#plan-status").get_attribute("class") == "badge returned"
    assert "Target laporan keuangan dinaikkan menjadi 24." in page.locator("#review-comment[role=alert]").inner_text()
    screenshot(page, "plan_returned")
    indicator = Indicator.objects.get(result__plan=plan, description="Laporan keuangan bulanan")
    target = page.locator(f".result-row[data-id='{indicator.result_id}'] .indicator-row[data-id='{indicator.pk}'] input[name$='-target']")
    assert target.input_value() == "12 laporan"
    target.fill("24 laporan")
    click_and_wait(page, "button[name=op][value=save_submit]")
    plan.refresh_from_db()
    indicator.refresh_from_db()
    assert (plan.status, indicator.target) == (Plan.Status.SUBMITTED, "24 laporan")
    assert Indicator.objects.filter(result__plan=plan).count() == 3  # the same rows, not new ones

    # The rater approves: the plan is approved, its first version kept, the history complete.
    rater.goto(f"{rater.base}/plans/{plan.pk}/")
    assert "24 laporan" in rater.locator("#plan-content").inner_text()
    click_and_wait(rater, "button[name=op][value=approve]")
    plan.refresh_from_db()
    assert (plan.status, plan.revision) == (Plan.Status.APPROVED, 1)
    assert plan.versions.get().content["results"][0]["indicators"][0]["target"] == "24 laporan"
    assert rater.locator("#plan-status").inner_text() == "Approved"
    steps = [row for row in history_rows(rater) if row[0] not in ("Created", "Edited")]  # creation and edits are not transitions
    assert steps == [
        ("Submit", "employee", "Draft → Submitted", ""),
        ("Return", "kabid", "Submitted → Returned", "Target laporan keuangan dinaikkan menjadi 24."),
        ("Submit", "employee", "Returned → Submitted", ""),
        ("Approve", "kabid", "Submitted → Approved", ""),
    ]

    page.goto(f"{page.base}/plans/{plan.pk}/")
    assert page.locator("#plan-status").get_attribute("class") == "badge approved"
    assert page.locator("#versions summary").count() == 1 and page.locator("#reports").count() == 1
    screenshot(page, "plan_approved")
