"""Issue 14 in a real browser: under the Content-Security-Policy (no inline script, scripts from the
site only) Swagger UI still renders the API's operations, and the pages' behaviour that moved to
static/js/ still works: the language switcher, the print button, the predicate preview, the
evidence drop zone and the plan's add-row buttons. The browser reports no violation anywhere."""

from __future__ import annotations

import pytest

from processes.models import Assessment, Evidence, UnitReview
from processes.services.public_feedback import link_issue
from processes.services.reports import report_for_month

from ..conftest import approve_plan, fill_plan, plan_of
from ..lifecycle import approve_all_plans, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# Installed by the browser's debugging protocol, which the page's policy does not govern: it only
# records what the policy blocked, and stubs the print dialog.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
window.__printed = 0;
window.print = function () { window.__printed += 1; };
"""


@pytest.fixture
def watched(visit):
    """``visit`` with every page watched for policy violations (checked at the end of the test)."""
    pages = []

    def open_as(*args, **kwargs):
        page = visit(*args, **kwargs)
        page.context.add_init_script(WATCH)
        pages.append(page)
        return page

    yield open_as
    for page in pages:
        assert page.evaluate("window.__violations || []") == [], page.url


def click_and_wait(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def test_swagger_ui_renders_the_operations_under_the_policy(watched, live_server):
    page = watched()
    console = []
    page.on("console", lambda message: console.append(message.text))
    response = page.goto(f"{live_server.url}/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary", timeout=30000)
    assert page.locator(".opblock-summary").count() > 20
    assert page.locator("text=/api/v1/plans/").first.is_visible()
    assert not [text for text in console if "Content Security Policy" in text]


def test_the_language_switcher_works_without_an_inline_handler(org, watched):
    page = watched("employee")
    page.goto(f"{page.base}/")
    assert page.locator("html").get_attribute("lang") == "id"
    with page.expect_navigation():
        page.locator("select[name=language]").select_option("en")
    assert page.locator("html").get_attribute("lang") == "en"


def test_the_print_button_of_a_public_link_prints(org, watched):
    link = link_issue(actor=org.hr, unit=org.division)
    page = watched("hr")
    page.goto(f"{page.base}/hr/public-links/{link.pk}/print/")
    page.locator("button[data-print]").click()
    assert page.evaluate("window.__printed") == 1


def test_the_predicate_preview_follows_the_raters_choices(org, cycle, watched):
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation, "good")
    review = UnitReview.objects.get(evaluation=evaluation, unit=org.division)
    assessment = Assessment.objects.get(unit_review=review, employee=org.employee)
    page = watched("kabid", language="en")
    page.goto(f"{page.base}/assessments/{assessment.pk}/")
    preview = page.locator("#predicate-preview")
    assert preview.inner_text() == "—"
    if page.locator("#results_rating").count():
        page.locator("#results_rating").select_option("as_expected")
    page.locator("#behaviour_rating").select_option("as_expected")
    assert preview.inner_text() != "—"
    assert "good" in preview.get_attribute("class")


def test_a_file_dropped_on_the_evidence_zone_is_uploaded(org, cycle, approved_chain, watched, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    plan = approve_plan(plan, rater_user=org.kabid.user, employee_user=org.employee.user)
    report, _new = report_for_month(plan=plan, month=1, actor=org.employee.user)
    page = watched("employee", language="en")
    page.goto(f"{page.base}/reports/{report.pk}/")
    with page.expect_navigation():
        page.evaluate(
            """(bytes) => {
              const transfer = new DataTransfer();
              transfer.items.add(new File([new Uint8Array(bytes)], 'notulen.pdf', {type: 'application/pdf'}));
              const drop = new DragEvent('drop', {dataTransfer: transfer, bubbles: true, cancelable: true});
              document.getElementById('dropzone').dispatchEvent(drop);
            }""",
            list(PDF),
        )
    assert Evidence.objects.filter(report=report).count() == 1


def test_the_plans_add_row_buttons_work(org, cycle, watched):
    plan = plan_of(cycle, org.employee)
    page = watched("employee")
    page.goto(f"{page.base}/plans/{plan.pk}/")
    rows = page.locator(".result-row")
    before = rows.count()
    page.locator("button[data-add-result]").click()
    assert rows.count() == before + 1
    rows.first.locator("button[data-add-indicator]").click()
    assert rows.first.locator(".indicator-row").count() == 2


def test_an_injected_inline_script_is_refused_and_reported(visit, live_server):
    """What the policy is for, and proof that the watch above sees a violation when there is one."""
    page = visit()
    page.context.add_init_script(WATCH)
    page.goto(f"{live_server.url}/login/")
    page.evaluate("""() => {
      const script = document.createElement('script');
      script.textContent = 'window.__injected = true;';
      document.body.appendChild(script);
      const handler = document.createElement('img');
      handler.setAttribute('onerror', 'window.__injected = true;');
      handler.src = 'data:,not-an-image';
      document.body.appendChild(handler);
    }""")
    page.wait_for_function("window.__violations.length >= 2")
    assert page.evaluate("window.__injected === undefined")
    assert {entry.split()[0] for entry in page.evaluate("window.__violations")} == {"script-src-elem", "script-src-attr"}
