"""HR's pages: cycles (create, open with its progress, evaluation periods, close, the dashboard,
rater corrections), the organisation import, delegations, webhooks and public feedback links."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import WebhookEndpoint
from org.models import Delegation, Employee, Unit
from processes.models import Cycle, CycleMember, Plan, PublicFeedbackLink
from processes.services.public_feedback import link_issue
from workflow.models import AuditEvent

from ..api.helpers import at, open_reports
from ..factories import RoleAssignmentFactory, UserFactory
from ..lifecycle import approve_all_plans

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def detail(cycle, suffix: str = "") -> str:
    return f"/hr/cycles/{cycle.pk}/{suffix}"


def section(page: str, html_id: str) -> str:
    return page.split(f'id="{html_id}"', 1)[1].split("</section>", 1)[0]


# Who may come in -----------------------------------------------------------------------------------


def test_the_hr_pages_are_for_hr_and_superusers_only(org, cycle):
    link = link_issue(actor=org.hr, unit=org.division)
    urls = ["/hr/cycles/", detail(cycle), detail(cycle, "opening/"), detail(cycle, "members/"), "/hr/organisation/import/",
            "/hr/delegations/", "/hr/webhooks/", "/hr/public-links/", f"/hr/public-links/{link.pk}/print/"]
    admin = UserFactory(username="admin", is_superuser=True)
    for url in urls:
        assert browser(org.hr).get(url).status_code == 200, url
        assert browser(admin).get(url).status_code == 200, url
        for user in (org.employee.user, org.forum_member, org.kepala.user):
            assert browser(user).get(url).status_code == 403, (url, user)
        assert Client().get(url).status_code == 302, url
    other_hr = UserFactory(username="hr.lain")
    RoleAssignmentFactory(user=other_hr, unit=org.other_division)
    assert browser(other_hr).get("/hr/cycles/").status_code == 200
    assert browser(other_hr).get(detail(cycle)).status_code == 404  # another scope's cycle
    assert "Kinerja 2026" not in browser(other_hr).get("/hr/cycles/").text


def test_a_forbidden_post_changes_nothing(org, cycle):
    for user in (org.employee.user, org.forum_member):
        assert browser(user).post(detail(cycle), {"action": "close"}).status_code == 403
        assert browser(user).post("/hr/webhooks/", {"action": "register", "url": "https://x.test/h"}).status_code == 403
    member = CycleMember.objects.get(cycle=cycle, employee=org.employee)
    assert browser(org.kabid.user).post(detail(cycle, "members/"), {
        "member": member.pk, "rater": org.other_kabid.nip, "reason": "Salah atasan"}).status_code == 403
    cycle.refresh_from_db()
    member.refresh_from_db()
    assert (cycle.status, member.rater_id, WebhookEndpoint.objects.count()) == ("open", org.kabid.pk, 0)


# Cycles ----------------------------------------------------------------------------------------------------


def test_hr_creates_a_cycle_with_errors_in_place_then_opens_it_watching_the_progress(org, django_capture_on_commit_callbacks):
    hr = browser(org.hr)
    assert "Badan (AGENCY)" in hr.get("/hr/cycles/").text and "Sekretariat" not in hr.get("/hr/cycles/").text
    wrong = hr.post("/hr/cycles/", {"name": "Kinerja 2027", "year": 2027, "period_type": "quarterly", "plan_deadline": "2025-01-31"})
    assert wrong.status_code == 400 and Cycle.objects.count() == 0
    form = section(wrong.text, "create")
    assert "Choose at least one unit." in form and "The plan deadline must fall in the cycle&#x27;s year." in form
    created = hr.post("/hr/cycles/", {"name": "Kinerja 2027", "year": 2027, "period_type": "quarterly",
                                      "units": [org.agency.pk], "plan_deadline": "2027-01-31"})
    cycle = Cycle.objects.get()
    assert created.status_code == 302 and created["Location"] == detail(cycle)
    page = hr.get(detail(cycle)).text
    assert 'value="open"' in page and 'value="start_evaluation"' not in page and 'value="close"' not in page

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert hr.post(detail(cycle), {"action": "open"}).status_code == 302
    cycle.refresh_from_db()
    assert cycle.status == "opening"
    polling = hr.get(detail(cycle, "opening/"), HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 2s"' in polling.text and "HX-Refresh" not in polling
    assert 'id="opening"' in hr.get(detail(cycle)).text
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:  # the Celery task that creates the plans
            callback()
    done = hr.get(detail(cycle, "opening/"), HTTP_HX_REQUEST="true")
    assert "6 of 6 plans created" in done.text and "hx-trigger" not in done.text and done["HX-Refresh"] == "true"
    cycle.refresh_from_db()
    assert cycle.status == "open" and Plan.objects.filter(cycle=cycle).count() == 6
    page = hr.get(detail(cycle)).text
    assert 'value="open"' not in page and 'value="start_evaluation"' in page and 'value="close"' in page
    assert '<option value="Q1">' in page  # a quarterly cycle


def test_hr_starts_an_evaluation_period_and_a_wrong_period_is_shown_in_place(org, cycle):
    approve_all_plans(cycle)
    hr = browser(org.hr)
    quarter = hr.post(detail(cycle), {"action": "start_evaluation", "period": "Q1"})
    assert quarter.status_code == 400 and "This cycle is evaluated annually only." in section(quarter.text, "actions")
    started = hr.post(detail(cycle), {"action": "start_evaluation", "period": "annual"}, follow=True)
    assert "The evaluation period has started." in started.text
    assert "3 unit review(s) and 6 assessment(s) created." in started.text
    reviews = section(started.text, "unit-reviews")
    assert reviews.count("/reviews/") == 3 and "Bidang A" in reviews  # drill-down to each review


def test_closing_is_refused_with_what_is_not_done(org, cycle):
    refused = browser(org.hr).post(detail(cycle), {"action": "close"})
    assert refused.status_code == 409 and "the annual evaluation has not started" in refused.text
    cycle.refresh_from_db()
    assert cycle.status == "open"


def test_the_dashboard_counts_each_stage_and_names_who_holds_each_overdue_task(org, cycle):
    reports = open_reports(cycle)
    with at(2, 7):
        page = browser(org.hr).get(detail(cycle)).text
    plans = section(page, "stage-plan")
    assert "Approved: <strong>6</strong>" in plans and "Bidang A" in plans and "Bidang B" in plans
    assert "Open: <strong>6</strong>" in section(page, "stage-report")
    overdue = section(page, "overdue")
    assert '<span class="badge overdue">6</span>' in overdue
    assert "Staf A1" in overdue and "Kabid B" in overdue and "<td>Submit</td>" in overdue  # the employees hold them, named by label
    late = section(page, "late-reports")
    assert "not submitted" in late and reports[org.employee.pk].employee.name in late
    assert f"/api/v1/cycles/{cycle.pk}/results.xlsx" in page and f"/api/v1/cycles/{cycle.pk}/results.csv" in page


def test_hr_corrects_a_rater_with_a_reason(org, cycle):
    hr = browser(org.hr)
    member = CycleMember.objects.get(cycle=cycle, employee=org.employee)
    url = detail(cycle, "members/")
    page = hr.get(url).text
    assert f'id="member-{member.pk}"' in page and f'value="{org.kabid.nip}"' in page
    missing = hr.post(url, {"member": member.pk, "rater": org.other_kabid.nip, "raters_superior": org.kepala.nip, "reason": ""})
    assert missing.status_code == 400 and "This field is required." in section(missing.text, f"member-{member.pk}")
    unknown = hr.post(url, {"member": member.pk, "rater": "199001012020121001", "reason": "Salah atasan"})
    assert unknown.status_code == 400 and "No employee has the NIP 199001012020121001." in unknown.text
    member.refresh_from_db()
    assert member.rater_id == org.kabid.pk
    done = hr.post(url, {"member": member.pk, "rater": org.other_kabid.nip, "raters_superior": org.kepala.nip,
                         "reason": "Dipindahkan ke Bidang B"}, follow=True)
    assert "The rater of Staf A1 is corrected" in done.text
    member.refresh_from_db()
    assert (member.rater_id, member.raters_superior_id) == (org.other_kabid.pk, org.kepala.pk)
    assert AuditEvent.objects.filter(document_type="cycle_member", document_id=member.pk, action="correct_reporting_line").exists()


# The organisation -------------------------------------------------------------------------------------


HEADER = "unit_code,unit_name,unit_kind,parent_unit_code,position_code,position_title,superior_position_code,is_unit_leader,nip,name\n"


def upload(text: str, name: str = "org.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_hr_imports_a_good_file_and_a_bad_one_is_refused_whole_with_its_lines(org):
    hr = browser(org.hr)
    superior = org.kepala.position.code
    good = HEADER + (f"DIV-C,Bidang C,division,AGENCY,KABID-C,Kepala Bidang C,{superior},yes,198701012010011001,Kabid C\n"
                     f"DIV-C,Bidang C,division,AGENCY,STAF-C1,Staf,KABID-C,,198801012011011002,Staf C1\n")
    imported = hr.post("/hr/organisation/import/", {"file": upload(good)})
    assert imported.status_code == 200
    report = section(imported.text, "import-report")
    assert "<td>Units</td><td>1</td>" in report and "<td>Employees</td><td>2</td>" in report
    assert Employee.objects.get(nip="198801012011011002").position.superior.code == "KABID-C"
    units = Unit.objects.count()
    bad = HEADER + ("DIV-D,Bidang D,division,NOWHERE,KABID-D,Kepala Bidang D,,yes,198701012010011003,Kabid D\n"
                    "DIV-E,Bidang E,division,AGENCY,KABID-E,Kepala Bidang E,,yes,12345,Kabid E\n")
    refused = hr.post("/hr/organisation/import/", {"file": upload(bad)})
    assert refused.status_code == 400
    errors = section(refused.text, "import-errors")
    assert "<td>2</td>" in errors and "NOWHERE" in errors and "<td>3</td>" in errors and "NIP 12345" in errors
    assert Unit.objects.count() == units and not Unit.objects.filter(code="DIV-E").exists()
    foreign = HEADER + "SETDA-X,Bagian X,division,SETDA,POS-X,Kepala Bagian X,,yes,198701012010011004,Kabag X\n"
    outside = hr.post("/hr/organisation/import/", {"file": upload(foreign)})
    assert outside.status_code == 400 and "below a unit of your HR scope" in outside.text
    assert not Unit.objects.filter(code="SETDA-X").exists()


def test_hr_delegates_an_officials_tasks_and_ends_the_delegation_early(org):
    hr = browser(org.hr)
    today = timezone.localdate()
    wrong = hr.post("/hr/delegations/", {"action": "create", "delegator": org.kabid.nip, "delegate": org.colleague.nip,
                                         "start": today.isoformat(), "end": (today - datetime.timedelta(days=1)).isoformat(),
                                         "reason": "Cuti tahunan"})
    assert wrong.status_code == 400 and "The end comes before the start." in section(wrong.text, "create")
    assert not Delegation.objects.exists()
    created = hr.post("/hr/delegations/", {"action": "create", "delegator": org.kabid.nip, "delegate": org.colleague.nip,
                                           "start": today.isoformat(), "end": (today + datetime.timedelta(days=7)).isoformat(),
                                           "reason": "Cuti tahunan"}, follow=True)
    assert "The delegation is recorded" in created.text and "End now" in created.text
    delegation = Delegation.objects.get()
    assert (delegation.delegator, delegation.delegate, delegation.created_by) == (org.kabid, org.colleague, org.hr)
    ended = hr.post("/hr/delegations/", {"action": "end", "delegation": delegation.pk}, follow=True)
    assert "The delegation has ended." in ended.text and "ended early" in ended.text
    delegation.refresh_from_db()
    assert delegation.ended_at is not None


# Integrations -------------------------------------------------------------------------------------------------


def test_hr_registers_a_webhook_whose_secret_is_shown_once_then_deactivates_it(org):
    hr = browser(org.hr)
    invalid = hr.post("/hr/webhooks/", {"action": "register", "url": "ftp://sistem.test/hook"})
    assert invalid.status_code == 400 and not WebhookEndpoint.objects.exists()
    registered = hr.post("/hr/webhooks/", {"action": "register", "url": "https://simpeg.test/hook", "events": ["plan.approved"]})
    endpoint = WebhookEndpoint.objects.get()
    assert registered.status_code == 200 and endpoint.secret in section(registered.text, "secret")
    assert endpoint.events == ["plan.approved"] and endpoint.created_by == org.hr
    again = hr.get("/hr/webhooks/").text
    assert endpoint.secret not in again and "https://simpeg.test/hook" in again
    hr.post("/hr/webhooks/", {"action": "deactivate", "endpoint": endpoint.pk})
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "https://simpeg.test/hook" not in hr.get("/hr/webhooks/").text


def test_hr_issues_a_public_link_prints_its_qr_code_and_revokes_it(org):
    hr = browser(org.hr)
    both = hr.post("/hr/public-links/", {"action": "issue", "unit": org.division.pk, "employee": org.employee.nip})
    assert both.status_code == 400 and "Choose either a unit or an employee." in both.text
    issued = hr.post("/hr/public-links/", {"action": "issue", "unit": org.division.pk})
    link = PublicFeedbackLink.objects.get()
    assert issued.status_code == 302 and issued["Location"] == f"/hr/public-links/{link.pk}/print/"
    printable = hr.get(issued["Location"]).text
    assert f'src="/api/v1/public-links/{link.pk}/qr"' in printable and f"http://testserver/f/{link.token}/" in printable
    qr = hr.get(f"/api/v1/public-links/{link.pk}/qr")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    assert "Bidang A" in hr.get("/hr/public-links/").text
    hr.post("/hr/public-links/", {"action": "revoke", "link": link.pk})
    link.refresh_from_db()
    assert link.revoked_at is not None and hr.get(f"/hr/public-links/{link.pk}/print/").status_code == 404


def test_hr_names_the_deciding_official_of_a_cycle_by_nip_and_an_unknown_nip_is_shown_in_place(org):
    hr = browser(org.hr)
    fields = {"name": "Kinerja 2027", "year": 2027, "period_type": "annual", "units": [org.agency.pk],
              "plan_deadline": "2027-01-31"}
    unknown = hr.post("/hr/cycles/", {**fields, "deciding_official": "199001012020011999"})
    assert unknown.status_code == 400 and Cycle.objects.count() == 0
    assert "No employee has this NIP." in section(unknown.text, "create")
    created = hr.post("/hr/cycles/", {**fields, "deciding_official": org.sekda.nip})
    assert created.status_code == 302
    assert Cycle.objects.get().deciding_official == org.sekda
