"""A monthly report in the browser: the employee reports the realisation, uploads a PDF through
the file picker and submits; the evidence is listed; the rater accepts with feedback."""

from pathlib import Path

import pytest

from processes.models import Evidence, Indicator, MonthlyReport
from processes.services.reports import report_for_month

from ..conftest import approve_plan, fill_plan, plan_of
from .conftest import screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def click_and_wait(page, selector: str) -> None:
    with page.expect_navigation():
        page.locator(selector).click()


@pytest.fixture
def report(org, cycle, approved_chain):
    """The employee's plan approved and January's report open (created on first access)."""
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    plan = approve_plan(plan, rater_user=org.kabid.user, employee_user=org.employee.user)
    created, is_new = report_for_month(plan=plan, month=1, actor=org.employee.user)
    assert is_new
    return created


def test_a_report_with_an_uploaded_pdf_is_submitted_and_accepted_with_feedback(org, report, visit, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    upload = tmp_path / "upload" / "notulen-rapat.pdf"
    upload.parent.mkdir()
    upload.write_bytes(PDF)
    indicator = Indicator.objects.get(result__plan=report.plan)
    url = f"/reports/{report.pk}/"

    # From the plan's list of months to January's report.
    page = visit("employee", language="en")
    page.goto(f"{page.base}/plans/{report.plan_id}/")
    click_and_wait(page, f"#reports a[href='{url}']")
    assert page.locator("#report-status").inner_text() == "Open"
    assert page.locator("#evidence .muted").first.inner_text() == "No evidence yet."
    assert indicator.target in page.locator("#realisation-form").inner_text()

    page.fill(f"#value-{indicator.pk}", "3 laporan")
    page.fill(f"#note-{indicator.pk}", "Laporan Januari selesai")
    click_and_wait(page, "#realisation-form button[name=op][value=save]")
    assert page.locator(".messages li.success").inner_text() == "The realisations were saved."
    assert list(report.realisations.values_list("value", "note")) == [("3 laporan", "Laporan Januari selesai")]

    # The file picker: the accepted types are offered, the PDF is uploaded and listed.
    picker = page.locator("#evidence-file")
    assert ".pdf" in picker.get_attribute("accept").split(",")
    picker.set_input_files(str(upload))
    page.fill("#evidence-name", "Notulen rapat Januari")
    click_and_wait(page, "#upload-form button[type=submit]")
    assert page.locator(".messages li.success").inner_text() == "The file was added."
    evidence = Evidence.objects.get(report=report)
    assert (evidence.kind, evidence.name, evidence.size) == ("file", "Notulen rapat Januari", len(PDF))
    stored = Path(evidence.file.path)
    assert stored.is_relative_to(tmp_path / "media") and stored.read_bytes() == PDF
    listed = page.locator("#evidence .evidence-list li")
    assert listed.count() == 1 and "Notulen rapat Januari" in listed.inner_text()
    assert listed.locator("a").get_attribute("href") == f"/api/v1/reports/{report.pk}/evidence/{evidence.pk}/"
    assert page.locator("#evidence h2 .badge").inner_text() == "1"
    screenshot(page, "report_evidence")

    # Submitted (late: January's report was due on 5 February): the form and the picker are gone.
    assert page.locator(f"#value-{indicator.pk}").input_value() == "3 laporan"
    click_and_wait(page, "#realisation-form button[name=op][value=save_submit]")
    report.refresh_from_db()
    assert report.status == MonthlyReport.Status.SUBMITTED and report.submitted_at is not None and report.late
    assert page.locator("#report-status").inner_text() == "Submitted" and page.locator("#late-badge").is_visible()
    assert page.locator("#upload-form").count() == 0 and page.locator("#realisation-form").count() == 0
    assert "3 laporan" in page.locator("#realisations").inner_text()

    # The rater sees the evidence, downloads the file and accepts with feedback.
    rater = visit("kabid", language="en")
    rater.goto(f"{rater.base}{url}")
    link = rater.locator("#evidence .evidence-list a")
    assert link.inner_text() == "Notulen rapat Januari"
    download = rater.request.get(rater.base + link.get_attribute("href"))
    assert download.status == 200 and download.body() == PDF
    rater.fill("#comment", "Bagus, lanjutkan; unggah notulen lebih awal.")
    click_and_wait(rater, "#review-form button[name=op][value=accept]")
    report.refresh_from_db()
    assert (report.status, report.feedback) == (MonthlyReport.Status.ACCEPTED, "Bagus, lanjutkan; unggah notulen lebih awal.")
    assert rater.locator("#report-status").inner_text() == "Accepted" and rater.locator("#review-form").count() == 0

    page.reload()
    assert "Bagus, lanjutkan; unggah notulen lebih awal." in page.locator("#report-feedback").inner_text()
    assert page.locator("#evidence .evidence-list li").count() == 1
