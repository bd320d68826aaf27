"""Monthly reports: opening (sweep and first access), visibility, realisations, evidence, actions."""

from pathlib import Path

import pytest

from processes.models import Evidence, MonthlyReport
from processes.services.reports import reports_open_month

from ..conftest import plan_of
from ..lifecycle import approve_all_plans
from .helpers import API, at, audit_actions, english, indicator_of, open_reports, realise, report_url, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def reports(cycle):
    """January's report of every employee, opened by the sweep; by employee id."""
    return open_reports(cycle)


def listed(user, **params) -> list[int]:
    response = english(user).get(f"{API}/reports/", params)
    assert response.status_code == 200, response.content
    return sorted(row["employee"]["id"] for row in response.json()["results"])


def start(user, plan, month=1):
    return english(user).post(f"{API}/reports/", {"plan": plan.pk, "month": month}, format="json")


def realisations(user, report, items):
    return english(user).patch(report_url(report), {"realisations": items}, format="json")


def add_file(user, report, file):
    return english(user).post(report_url(report, "evidence"), {"file": file}, format="multipart")


def act(user, report, action, comment=None):
    return english(user).post(report_url(report, action), {} if comment is None else {"comment": comment}, format="json")


# Opening ------------------------------------------------------------------------------------------


def test_the_monthly_sweep_opens_one_report_per_approved_plan_and_nothing_twice(org, cycle, approved_chain):
    assert reports_open_month(year=2026, month=1) == 2
    assert reports_open_month(year=2026, month=1) == 0
    assert listed(org.hr) == sorted([org.kepala.pk, org.kabid.pk])


def test_the_owner_starts_a_months_report_on_first_access_and_gets_the_same_one_after(org, cycle):
    approve_all_plans(cycle)
    plan = plan_of(cycle, org.employee)
    with at(2, 3):
        first, again = start(org.employee.user, plan), start(org.employee.user, plan)
    assert (first.status_code, again.status_code) == (201, 200)
    body = first.json()
    assert again.json()["id"] == body["id"]
    assert (body["plan"], body["month"], body["status"], body["allowed_actions"]) == (plan.pk, 1, "open", ["submit"])
    assert body["due_at"].startswith("2026-02-05T23:59:59")
    assert reports_open_month(year=2026, month=1) == 5  # the sweep skips the plan that has its report


def test_only_the_plan_owner_may_start_its_report(org, cycle):
    approve_all_plans(cycle)
    plan = plan_of(cycle, org.employee)
    with at(2, 3):
        assert start(org.kabid.user, plan).status_code == 403
        assert start(org.hr, plan).status_code == 403
        assert start(org.other_kabid.user, plan).status_code == 404
    assert not MonthlyReport.objects.filter(plan=plan).exists()


def test_a_report_cannot_start_before_the_plan_is_approved(org, cycle, approved_chain):
    with at(2, 3):
        response = start(org.employee.user, plan_of(cycle, org.employee))
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


def test_a_report_cannot_start_for_a_month_that_has_not_begun(org, cycle):
    approve_all_plans(cycle)
    plan = plan_of(cycle, org.employee)
    with at(2, 3):
        assert start(org.employee.user, plan, month=3).json()["errors"]["month"]
        assert start(org.employee.user, plan, month=13).status_code == 400
        assert start(org.employee.user, plan, month=2).status_code == 201


# Visibility and filters -----------------------------------------------------------------------------


def test_employees_see_their_own_reports_raters_their_units_and_hr_its_scope(org, cycle, reports):
    assert listed(org.employee.user) == [org.employee.pk]
    assert listed(org.kabid.user) == sorted([org.kabid.pk, org.employee.pk, org.colleague.pk])
    assert listed(org.other_kabid.user) == sorted([org.other_kabid.pk, org.other_employee.pk])
    assert len(listed(org.hr)) == 6


def test_a_report_the_user_may_not_see_is_not_found(org, cycle, reports):
    report = reports[org.employee.pk]
    assert english(org.other_kabid.user).get(report_url(report)).status_code == 404
    assert english(org.colleague.user).get(report_url(report)).status_code == 404
    assert english(org.forum_member).get(report_url(report)).status_code == 200


def test_reports_filter_by_cycle_month_employee_and_status(org, cycle, reports):
    realise(reports[org.colleague.pk])
    with at(2, 3):
        assert act(org.colleague.user, reports[org.colleague.pk], "submit").status_code == 200
    assert len(listed(org.hr, cycle=cycle.pk, month=1)) == 6
    assert listed(org.hr, month=2) == []
    assert listed(org.hr, cycle=cycle.pk + 1000) == []
    assert listed(org.hr, employee=org.other_employee.pk) == [org.other_employee.pk]
    assert listed(org.hr, status="submitted") == [org.colleague.pk]
    assert english(org.hr).get(f"{API}/reports/", {"status": "lost"}).status_code == 400


# Realisations ------------------------------------------------------------------------------------


def test_the_owner_records_realisations_and_a_second_patch_updates_them(org, cycle, reports):
    report, indicator = reports[org.employee.pk], indicator_of(reports[org.employee.pk])
    first = realisations(org.employee.user, report, [{"indicator": indicator.pk, "value": "3 dokumen", "note": "Tepat waktu"}])
    assert first.status_code == 200
    assert first.json()["realisations"] == [
        {"indicator": indicator.pk, "indicator_description": indicator.description, "value": "3 dokumen", "note": "Tepat waktu"}
    ]
    second = realisations(org.employee.user, report, [{"indicator": indicator.pk, "value": "4 dokumen"}])
    assert [(r["value"], r["note"]) for r in second.json()["realisations"]] == [("4 dokumen", "")]
    assert second.json()["version"] == first.json()["version"] + 1


def test_an_indicator_of_another_plan_is_refused(org, cycle, reports):
    foreign = indicator_of(reports[org.colleague.pk])
    response = realisations(org.employee.user, reports[org.employee.pk], [{"indicator": foreign.pk, "value": "1"}])
    assert response.status_code == 400 and "realisations[0].indicator" in response.json()["errors"]
    assert not reports[org.employee.pk].realisations.exists()


def test_only_the_owner_changes_realisations_and_only_before_submission(org, cycle, reports):
    report = reports[org.employee.pk]
    item = [{"indicator": indicator_of(report).pk, "value": "2 dokumen"}]
    assert realisations(org.kabid.user, report, item).status_code == 403
    assert realisations(org.other_kabid.user, report, item).status_code == 404
    realise(report)
    with at(2, 3):
        act(org.employee.user, report, "submit")
    response = realisations(org.employee.user, report, item)
    assert response.status_code == 409 and response.json()["status"] == "submitted"


# Evidence -------------------------------------------------------------------------------------------


def test_an_uploaded_file_is_stored_and_downloaded_by_the_owner_and_the_rater(org, cycle, reports, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    report, content = reports[org.employee.pk], b"%PDF-1.4 notulen rapat bulan Januari"
    response = add_file(org.employee.user, report, upload("notulen.pdf", content))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["kind"], body["name"], body["size"]) == ("file", "notulen.pdf", len(content))
    stored = Path(Evidence.objects.get(pk=body["id"]).file.path)
    assert stored.is_file() and tmp_path in stored.parents and stored.read_bytes() == content
    for user in (org.employee.user, org.kabid.user):
        download = english(user).get(body["download"])
        assert download.status_code == 200 and b"".join(download.streaming_content) == content
    assert english(org.other_kabid.user).get(body["download"]).status_code == 404
    assert english(org.colleague.user).get(body["download"]).status_code == 404


@pytest.mark.parametrize("name, content, message", [
    ("setup.exe", b"MZ\x90\x00\x03", "not accepted"),
    ("catatan.txt", b"catatan rapat", "not accepted"),
    ("kosong.pdf", b"", "empty"),
    ("palsu.pdf", b"<html>bukan pdf</html>", "not a pdf file"),
    ("foto.png", b"%PDF-1.4 not an image", "not a png file"),
])
def test_an_upload_of_a_refused_kind_is_rejected_with_a_reason(org, cycle, reports, settings, tmp_path, name, content, message):
    settings.MEDIA_ROOT = str(tmp_path)
    response = add_file(org.employee.user, reports[org.employee.pk], upload(name, content, "application/octet-stream"))
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"]["file"])
    assert not Evidence.objects.exists() and not any(p.is_file() for p in tmp_path.rglob("*"))


def test_an_upload_over_the_rule_sets_size_limit_is_rejected(org, cycle, reports, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    cycle.rules["evidence"]["max_bytes"] = 100
    cycle.save()
    report = reports[org.employee.pk]
    too_big = add_file(org.employee.user, report, upload(content=b"%PDF" + b"x" * 97))
    assert too_big.status_code == 400 and "larger than" in too_big.json()["errors"]["file"][0]
    assert add_file(org.employee.user, report, upload(content=b"%PDF" + b"x" * 96)).status_code == 201


def test_a_link_is_evidence_too_but_only_a_web_address(org, cycle, reports):
    report, client = reports[org.employee.pk], english(org.employee.user)
    link = client.post(report_url(report, "evidence"), {"url": "https://drive.example.go.id/bukti/1"}, format="json")
    assert link.status_code == 201
    assert (link.json()["kind"], link.json()["url"], link.json()["download"]) == ("link", "https://drive.example.go.id/bukti/1", None)
    assert client.get(report_url(report, f"evidence/{link.json()['id']}")).status_code == 404  # nothing to download
    for bad in ("ftp://files.example.go.id/bukti", "javascript:alert(1)", "bukti dukung"):
        response = client.post(report_url(report, "evidence"), {"url": bad}, format="json")
        assert response.status_code == 400 and response.json()["errors"]["url"]
    assert client.post(report_url(report, "evidence"), {}, format="json").json()["errors"]["file"]
    assert report.evidence.count() == 1


def test_evidence_is_deleted_with_its_file_before_submission(org, cycle, reports, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path)
    report = reports[org.employee.pk]
    evidence = Evidence.objects.get(pk=add_file(org.employee.user, report, upload()).json()["id"])
    stored = Path(evidence.file.path)
    assert english(org.kabid.user).delete(report_url(report, f"evidence/{evidence.pk}")).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = english(org.employee.user).delete(report_url(report, f"evidence/{evidence.pk}"))
    assert response.status_code == 204
    assert not Evidence.objects.filter(pk=evidence.pk).exists() and not stored.exists()


def test_evidence_stays_once_the_report_is_submitted(org, cycle, reports, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    report = reports[org.employee.pk]
    evidence = Evidence.objects.get(pk=add_file(org.employee.user, report, upload()).json()["id"])
    realise(report)
    with at(2, 3):
        assert act(org.employee.user, report, "submit").status_code == 200
    assert english(org.employee.user).delete(report_url(report, f"evidence/{evidence.pk}")).status_code == 409
    assert add_file(org.employee.user, report, upload("lagi.pdf")).status_code == 409
    assert Path(evidence.file.path).is_file() and report.evidence.count() == 1


# Actions -------------------------------------------------------------------------------------------------


def test_a_report_without_any_realisation_cannot_be_submitted(org, cycle, reports):
    report = reports[org.employee.pk]
    with at(2, 3):
        response = act(org.employee.user, report, "submit")
    assert response.status_code == 409 and "at least one indicator" in response.json()["detail"]
    report.refresh_from_db()
    assert report.status == "open"


def test_a_report_submitted_by_its_due_date_is_not_late_and_one_after_it_is(org, cycle, reports):
    on_time, late = reports[org.employee.pk], reports[org.colleague.pk]
    realise(on_time), realise(late)
    with at(2, 5, hour=23):
        assert act(org.employee.user, on_time, "submit").json()["late"] is False
    with at(2, 6, hour=8):
        body = act(org.colleague.user, late, "submit").json()
    assert (body["status"], body["late"]) == ("submitted", True)
    assert listed(org.hr, late="true") == [org.colleague.pk]
    assert len(listed(org.hr, late="false")) == 5
    progress = english(org.hr).get(f"{API}/cycles/{cycle.pk}/progress/").json()["documents"]["report"]
    assert (progress["late"], progress["statuses"]["submitted"]) == (1, 2)


def test_the_rater_returns_a_report_only_with_feedback_and_the_owner_resubmits(org, cycle, reports):
    report = reports[org.employee.pk]
    realise(report)
    with at(2, 3):
        assert act(org.employee.user, report, "submit").json()["allowed_actions"] == []
        assert english(org.kabid.user).get(report_url(report)).json()["allowed_actions"] == ["accept", "return"]
        assert act(org.kabid.user, report, "return").json()["errors"]["comment"]
        returned = act(org.kabid.user, report, "return", "Lampirkan notulen rapat")
        assert (returned.json()["status"], returned.json()["feedback"]) == ("returned", "Lampirkan notulen rapat")
        assert realisations(org.employee.user, report, [{"indicator": indicator_of(report).pk, "value": "2"}]).status_code == 200
        assert act(org.employee.user, report, "submit").json()["status"] == "submitted"
        accepted = act(org.kabid.user, report, "accept", "Baik, lanjutkan")
    assert (accepted.json()["status"], accepted.json()["feedback"]) == ("accepted", "Baik, lanjutkan")
    assert audit_actions(report) == ["create", "edit", "submit", "return", "edit", "submit", "accept"]


def test_the_rater_may_accept_without_feedback(org, cycle, reports):
    report = reports[org.colleague.pk]
    realise(report)
    with at(2, 3):
        act(org.colleague.user, report, "submit")
        response = act(org.kabid.user, report, "accept")
    assert (response.status_code, response.json()["status"], response.json()["feedback"]) == (200, "accepted", "")


def test_only_the_owner_submits_and_only_the_rater_accepts_or_returns(org, cycle, reports):
    report = reports[org.employee.pk]
    realise(report)
    with at(2, 3):
        assert act(org.kabid.user, report, "submit").status_code == 403
        assert act(org.employee.user, report, "submit").status_code == 200
        assert act(org.employee.user, report, "accept").status_code == 403
        assert act(org.kepala.user, report, "accept").status_code == 403  # the rater's superior is not the rater
        assert act(org.hr, report, "return", "Tidak").status_code == 403
        assert act(org.colleague.user, report, "accept").status_code == 404
    report.refresh_from_db()
    assert report.status == "submitted"


def test_the_history_lists_every_event_of_the_report_with_its_actor(org, cycle, reports, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    report = reports[org.employee.pk]
    add_file(org.employee.user, report, upload())
    realise(report)
    with at(2, 3):
        act(org.employee.user, report, "submit")
        act(org.kabid.user, report, "accept", "Baik")
    events = english(org.employee.user).get(report_url(report, "history")).json()
    assert [e["action"] for e in events] == ["create", "add_evidence", "edit", "submit", "accept"]
    assert events[-1]["actor"]["username"] == "kabid" and events[-1]["comment"] == "Baik"
    assert english(org.other_kabid.user).get(report_url(report, "history")).status_code == 404


@pytest.mark.parametrize(
    "item, key, message",
    [
        ({"indicator": "abc", "value": "2"}, "realisations[0].indicator", "This indicator is not part of the report's plan."),
        ({"value": "2"}, "realisations[0].indicator", "This indicator is not part of the report's plan."),
        ({"indicator": None, "value": "9" * 501}, "realisations[0].value", "Write at most 500 characters (501 given)."),
        ({"indicator": None, "value": "2", "note": "n" * 5001}, "realisations[0].note", "Write at most 5000 characters (5001 given)."),
        ({"indicator": None, "value": 2}, "realisations[0].value", "Write text."),
        ({"indicator": None, "value": "  "}, "realisations[0].value", "Give the realisation."),
        ("not an object", "realisations[0]", "Give each realisation as an object with its fields."),
    ],
    ids=["indicator-text", "indicator-missing", "long-value", "long-note", "value-number", "value-blank", "item-text"],
)
def test_a_realisation_that_breaks_a_rule_is_a_400_with_the_services_reason(org, cycle, reports, item, key, message):
    report = reports[org.employee.pk]
    if isinstance(item, dict) and "indicator" in item and item["indicator"] is None:
        item = {**item, "indicator": indicator_of(report).pk}
    response = english(org.employee.user).patch(report_url(report), {"realisations": [item]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][key] == [message]
    assert not report.realisations.exists()


@pytest.mark.parametrize(
    "body, key, message",
    [
        ({"url": "https://arsip.example.test/a", "name": "n" * 256}, "name", "Write at most 255 characters (256 given)."),
        ({"url": "https://arsip.example.test/" + "a" * 1000}, "url", "The web address is too long."),
        ({"url": ""}, "url", "Give a web address starting with http:// or https://."),
        ({"url": ["https://arsip.example.test/a"]}, "url", None),
    ],
    ids=["long-name", "long-url", "blank-url", "url-list"],
)
def test_a_link_that_breaks_a_rule_is_a_400(org, cycle, reports, body, key, message):
    report = reports[org.employee.pk]
    response = english(org.employee.user).post(report_url(report, "evidence"), body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][key] if message is None else response.json()["errors"][key] == [message]
    assert not report.evidence.exists()


def test_an_empty_list_of_realisations_changes_nothing_and_records_nothing(org, cycle, reports):
    report = reports[org.employee.pk]
    response = english(org.employee.user).patch(report_url(report), {"realisations": []}, format="json")
    assert response.status_code == 200 and response.json()["version"] == report.version
    assert audit_actions(report) == ["create"]
