"""The employee's and the rater's pages: who sees them, which buttons each user gets, refusals,
and the year's happy paths through the forms (plan, report, scoring, objection, feedback)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from processes.models import Assessment, Evidence, FeedbackRequest, Indicator, MonthlyReport, Objection, Plan, PlanResult

from ..api.helpers import at, issued_evaluation, ratified_evaluation
from ..conftest import fill_plan, plan_of
from ..factories import DelegationFactory
from ..lifecycle import approve_all_plans, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db
OP = re.compile(r'name="op" value="(\w+)"')


def browser(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


def page(user, url, status=200):
    response = browser(user).get(url)
    assert response.status_code == status, response.content[:300]
    return response.content.decode()


def ops(html: str) -> set[str]:
    """The operations a page offers (its buttons and its forms' fixed operations)."""
    return set(OP.findall(html))


def post(user, url, data, status=302):
    response = browser(user).post(url, data)
    assert response.status_code == status, response.content[:500]
    return response


def post_and_read(user, url, data) -> str:
    """Post, follow the redirect, and return the page (with its messages)."""
    response = browser(user).post(url, data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def plan_data(*results, op="save_submit") -> dict:
    """The plan form (a formset of results, each with a formset of indicators): each result a
    dict (id, title, kind, supports, indicators)."""
    data = {"op": op, "results-TOTAL_FORMS": len(results), "results-INITIAL_FORMS": 0}
    for n, result in enumerate(results):
        prefix = f"results-{n}"
        data.update({f"{prefix}-id": result.get("id", ""), f"{prefix}-title": result["title"],
                     f"{prefix}-kind": result.get("kind", "main"), f"{prefix}-supports": result.get("supports", ""),
                     f"{prefix}-indicators-TOTAL_FORMS": len(result["indicators"]), f"{prefix}-indicators-INITIAL_FORMS": 0})
        for m, indicator in enumerate(result["indicators"]):
            at = f"{prefix}-indicators-{m}"
            data.update({f"{at}-id": indicator.get("id", ""), f"{at}-description": indicator["description"],
                         f"{at}-target": indicator["target"], f"{at}-aspect": indicator.get("aspect", "quantity")})
    return data


def realisation_data(rows: dict, op="save") -> dict:
    """The realisations form (a formset, one form per indicator): {indicator id: (value, note)}."""
    data = {"op": op, "realisations-TOTAL_FORMS": len(rows), "realisations-INITIAL_FORMS": len(rows)}
    for n, (indicator, (value, note)) in enumerate(rows.items()):
        data.update({f"realisations-{n}-indicator": indicator, f"realisations-{n}-value": value, f"realisations-{n}-note": note})
    return data


# Who sees which page ------------------------------------------------------------------------------


def test_pages_send_anonymous_users_to_the_login(org, cycle):
    for url in ("/me/work/", "/team/", f"/plans/{plan_of(cycle, org.employee).pk}/"):
        response = browser().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_my_work_and_team_are_for_employees_and_raters(org, cycle):
    plan = plan_of(cycle, org.employee)
    assert f"/plans/{plan.pk}/" in page(org.employee.user, "/me/work/")
    team = page(org.kabid.user, "/team/")
    assert "Staf A1" in team and "Staf A2" in team and "Staf B1" not in team
    assert "Staf A1" not in page(org.other_kabid.user, "/team/")
    page(org.hr, "/me/work/", 404)  # HR without an employee record
    page(org.hr, "/team/", 404)


def test_a_plan_is_not_found_for_those_who_may_not_see_it(org, cycle):
    url = f"/plans/{plan_of(cycle, org.employee).pk}/"
    for user in (org.employee.user, org.kabid.user, org.kepala.user, org.hr):
        page(user, url)
    for user in (org.colleague.user, org.other_kabid.user, org.other_employee.user):
        page(user, url, 404)


def test_a_delegate_sees_the_raters_team_on_their_behalf(org, cycle):
    DelegationFactory(delegator=org.kabid, delegate=org.other_kabid)
    team = page(org.other_kabid.user, "/team/")
    assert "Staf A1" in team and "on behalf of" in team


# The plan ------------------------------------------------------------------------------------------


def test_the_plan_is_edited_submitted_returned_with_a_comment_resubmitted_and_approved(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    url = f"/plans/{plan.pk}/"
    supports = approved_chain["kabid_result"].pk
    html = page(org.employee.user, url)
    assert {"save", "save_submit"} <= ops(html) and not ops(html) & {"approve", "return"}
    assert f'<option value="{supports}"' in html  # the rater's approved result to support

    post(org.employee.user, url, plan_data(
        {"title": "Laporan keuangan", "supports": supports, "indicators": [{"description": "Laporan", "target": "12"}]},
        {"title": "Arsip tertata", "kind": "additional", "supports": supports,
         "indicators": [{"description": "Berkas", "target": "100", "aspect": "quality"}]}))
    plan.refresh_from_db()
    assert plan.status == "submitted" and plan.results.count() == 2
    assert "Staf A1" in page(org.kabid.user, "/team/").split('id="team"')[0]  # waiting for the rater

    html = page(org.employee.user, url)
    assert not ops(html) & {"save", "approve", "return"}
    assert "You may not" in post_and_read(org.employee.user, url, {"op": "approve"})
    assert Plan.objects.get(pk=plan.pk).status == "submitted"

    assert {"approve", "return"} <= ops(page(org.kabid.user, url))
    refused = post(org.kabid.user, url, {"op": "return", "comment": ""}, status=400).content.decode()
    assert "A comment is required" in refused and Plan.objects.get(pk=plan.pk).status == "submitted"
    post(org.kabid.user, url, {"op": "return", "comment": "Target arsip terlalu rendah"})
    html = page(org.employee.user, url)
    assert 'id="review-comment"' in html and "Target arsip terlalu rendah" in html

    first, second = plan.results.order_by("order")
    indicator = first.indicators.get()
    post(org.employee.user, url, plan_data(  # the second result removed, the first kept with its ids
        {"id": first.pk, "title": "Laporan keuangan tepat waktu", "supports": supports,
         "indicators": [{"id": indicator.pk, "description": "Laporan", "target": "12 laporan"}]}))
    assert list(PlanResult.objects.filter(plan=plan).values_list("pk", flat=True)) == [first.pk]
    assert Indicator.objects.get(pk=indicator.pk).target == "12 laporan"
    post(org.kabid.user, url, {"op": "approve", "comment": "Disetujui"})
    plan.refresh_from_db()
    assert (plan.status, plan.revision) == ("approved", 1)
    html = page(org.employee.user, url)
    assert "amend" in ops(html) and 'id="versions"' in html and "Start the report" in html


def test_plan_field_errors_are_shown_in_place_and_nothing_is_saved(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    response = post(org.employee.user, f"/plans/{plan.pk}/", plan_data(
        {"title": "Laporan", "supports": approved_chain["kabid_result"].pk,
         "indicators": [{"description": "Laporan", "target": ""}]}, op="save"), status=400)
    html = response.content.decode()
    assert "This field is required." in html and 'value="Laporan"' in html  # the input is kept
    assert not plan.results.exists()


def test_submitting_without_the_raters_result_is_refused_with_the_reason(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    html = post_and_read(org.employee.user, f"/plans/{plan.pk}/", plan_data(
        {"title": "Laporan", "indicators": [{"description": "Laporan", "target": "12"}]}))
    assert "must name the approved result" in html
    plan.refresh_from_db()
    assert plan.status == "draft" and plan.results.count() == 1  # saved, not submitted


def test_a_result_removed_from_the_page_is_not_sent_and_the_others_keep_their_order(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    supports = approved_chain["kabid_result"].pk
    data = plan_data(*[{"title": title, "supports": supports, "indicators": [{"description": "Laporan", "target": "12"}]}
                       for title in ("Pertama", "Dihapus", "Ketiga")], op="save")
    for name in [key for key in data if key.startswith("results-1-")]:  # the script removed the second row
        del data[name]
    post(org.employee.user, f"/plans/{plan.pk}/", data)
    assert list(plan.results.order_by("order").values_list("title", flat=True)) == ["Pertama", "Ketiga"]


def test_the_plan_pages_errors_name_the_row_of_the_field(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    html = post(org.employee.user, f"/plans/{plan.pk}/", plan_data(
        {"title": "Laporan", "supports": approved_chain["kabid_result"].pk, "indicators": [{"description": "A", "target": "1"}]},
        {"title": "", "indicators": [{"description": "B", "target": "2", "aspect": "speed"}]}, op="save"), status=400).content.decode()
    second = html.split('data-prefix="results-1"')[1]
    assert "Give the result&#x27;s title." in second and "Choose quantity, quality or time." in second
    assert "Give the result&#x27;s title." not in html.split('data-prefix="results-1"')[0]
    assert not plan.results.exists()


# The monthly report ----------------------------------------------------------------------------------


def test_realisation_evidence_and_submission_then_the_rater_accepts(org, cycle, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    approve_all_plans(cycle)
    plan = plan_of(cycle, org.employee)
    with at(3, 1):
        response = post(org.employee.user, f"/plans/{plan.pk}/reports/", {"month": "1"})
        report = MonthlyReport.objects.get(plan=plan, month=1)
        url = f"/reports/{report.pk}/"
        assert response["Location"] == url
        page(org.colleague.user, url, 404)
        indicator = Indicator.objects.get(result__plan=plan)
        html = page(org.employee.user, url)
        assert {"save", "save_submit", "upload", "link"} <= ops(html) and 'id="dropzone"' in html

        post(org.employee.user, url, realisation_data({indicator.pk: ("3 dokumen", "Sesuai")}))
        assert report.realisations.get().value == "3 dokumen"
        emptied = post(org.employee.user, url, realisation_data({indicator.pk: ("", "")}), status=400).content.decode()
        assert "Give the realisation." in emptied and report.realisations.get().value == "3 dokumen"
        post(org.employee.user, url, {"op": "upload", "file": SimpleUploadedFile("notulen.pdf", b"%PDF-1.4 notulen", "application/pdf")})
        fake = post(org.employee.user, url, {"op": "upload", "file": SimpleUploadedFile("foto.pdf", b"GIF89a", "application/pdf")},
                    status=400)
        assert "not a pdf file" in fake.content.decode()
        post(org.employee.user, url, {"op": "link", "url": "https://drive.example.test/rapat", "name": "Foto rapat"})
        link = report.evidence.get(kind="link")
        post(org.employee.user, url, {"op": "delete_evidence", "evidence": link.pk})
        (evidence,) = Evidence.objects.filter(report=report)
        assert evidence.kind == "file" and f"/api/v1/reports/{report.pk}/evidence/{evidence.pk}/" in page(org.employee.user, url)
        assert browser(org.kabid.user).get(f"/api/v1/reports/{report.pk}/evidence/{evidence.pk}/").status_code == 200

        assert not ops(page(org.kabid.user, url)) & {"accept", "return", "upload"}  # not submitted yet
        post(org.employee.user, url, {"op": "submit"})
        report.refresh_from_db()
        assert report.status == "submitted" and report.late  # January's report was due on 5 February
        html = page(org.employee.user, url)
        assert 'id="late-badge"' in html and not ops(html) & {"upload", "delete_evidence", "accept"}
        assert indicator.description in html.split('id="realisations"')[1]  # the read-only table
        refused = post_and_read(org.kabid.user, url, {"op": "upload", "file": SimpleUploadedFile("x.pdf", b"%PDF-1.4 x")})
        assert "Only the report&#x27;s owner" in refused and report.evidence.count() == 1
        assert {"accept", "return"} <= ops(page(org.kabid.user, url))
        assert "A comment is required" in post(org.kabid.user, url, {"op": "return"}, status=400).content.decode()
        post(org.kabid.user, url, {"op": "accept", "comment": "Bagus, lanjutkan"})
    report.refresh_from_db()
    assert (report.status, report.feedback) == ("accepted", "Bagus, lanjutkan")
    assert "Bagus, lanjutkan" in page(org.employee.user, url)


def test_only_the_owner_starts_a_months_report(org, cycle):
    approve_all_plans(cycle)
    plan = plan_of(cycle, org.employee)
    assert "Only the plan&#x27;s owner" in post_and_read(org.kabid.user, f"/plans/{plan.pk}/reports/", {"month": "1"})
    assert "Start the report" not in page(org.kabid.user, f"/plans/{plan.pk}/")
    assert not MonthlyReport.objects.filter(plan=plan).exists()


# Scoring, the result, the objection ---------------------------------------------------------------------


def test_the_rater_scores_with_the_predicate_shown_and_submits(org, cycle):
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation, "good")
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    url = f"/assessments/{assessment.pk}/"
    html = page(org.kabid.user, url)
    assert {"save", "save_submit", "invite"} <= ops(html) and 'id="predicate-data"' in html
    assert "Your rater is scoring" in page(org.employee.user, url)
    page(org.other_kabid.user, url, 404)

    assert "Only the employee&#x27;s rater" in post_and_read(org.employee.user, url, {"op": "save", "results_rating": "above"})
    post(org.kabid.user, url, {"op": "save", "results_rating": "above", "behaviour_rating": "above",
                               "value-service_orientation": "above", "note": "Inisiatif tinggi"})
    assessment.refresh_from_db()
    assert (assessment.rated_predicate, assessment.behaviour_values) == ("very_good", {"service_orientation": "above"})
    assert '<output id="predicate-preview" class="predicate">Very good</output>' in page(org.kabid.user, url)
    post(org.kabid.user, url, {"op": "save_submit", "results_rating": "as_expected", "behaviour_rating": "above"})
    assessment.refresh_from_db()
    assert (assessment.status, assessment.predicate) == ("submitted", "good")
    assert "save" not in ops(page(org.kabid.user, url))


def test_the_employee_objects_the_rater_and_the_employee_explain_and_the_superior_decides(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    url = f"/assessments/{assessment.pk}/"
    html = page(org.employee.user, url)
    assert {"accept", "object"} <= ops(html) and 'id="objection-deadline"' in html
    assert not ops(page(org.kabid.user, url)) & {"accept", "object"}
    assert "Give the reasons" in post(org.employee.user, url, {"op": "object", "reasons": " "}, status=400).content.decode()

    response = post(org.employee.user, url, {"op": "object", "reasons": "Capaian saya melebihi target"})
    objection = Objection.objects.get(assessment=assessment)
    objection_url = f"/objections/{objection.pk}/"
    assert response["Location"] == objection_url
    assert Assessment.objects.get(pk=assessment.pk).status == "objected"
    page(org.colleague.user, objection_url, 404)
    assert objection_url in page(org.kabid.user, "/team/") and objection_url in page(org.kepala.user, "/team/")

    assert "explain" in ops(page(org.employee.user, objection_url))
    assert 'id="decide-later"' in page(org.kepala.user, objection_url)
    post(org.employee.user, objection_url, {"op": "explain", "explanation": "Bukti terlampir"})
    post(org.kabid.user, objection_url, {"op": "explain", "explanation": "Sesuai penilaian"})
    assert "explain" not in ops(page(org.employee.user, objection_url))
    assert "decide" not in ops(page(org.kabid.user, objection_url))
    assert "changed result needs" in post(org.kepala.user, objection_url, {"op": "decide", "outcome": "changed",
                                                                          "reasons": "Ditinjau"}, status=400).content.decode()
    post(org.kepala.user, objection_url, {"op": "decide", "outcome": "changed", "results_rating": "above",
                                          "behaviour_rating": "above", "reasons": "Bukti kuat"})
    assessment.refresh_from_db()
    assert (assessment.status, assessment.predicate) == ("final", "very_good")
    assert 'id="decision"' in page(org.employee.user, objection_url)


def test_the_employee_accepts_and_gets_the_evaluation_document_once_ratified(org, cycle):
    evaluation = ratified_evaluation(org, cycle)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    html = page(org.employee.user, f"/assessments/{assessment.pk}/")
    assert f"/api/v1/assessments/{assessment.pk}/document/" in html and not ops(html) & {"accept", "object"}
    assert f"/assessments/{assessment.pk}/" in page(org.employee.user, "/me/work/")


def test_accepting_after_the_result_is_final_is_refused(org, cycle):
    evaluation = issued_evaluation(org, cycle)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    url = f"/assessments/{assessment.pk}/"
    post(org.employee.user, url, {"op": "accept"})
    assert Assessment.objects.get(pk=assessment.pk).status == "final"
    assert "is not possible" in post_and_read(org.employee.user, url, {"op": "accept"})
    assert "Unknown action" in post_and_read(org.employee.user, url, {"op": "lapse"})


# Colleague feedback -------------------------------------------------------------------------------------


def test_the_rater_invites_and_only_the_invitee_answers(org, cycle):
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    assessment = Assessment.objects.get(evaluation=evaluation, employee=org.employee)
    post(org.kabid.user, f"/assessments/{assessment.pk}/", {"op": "invite", "invitees": [org.colleague.pk]})
    request = FeedbackRequest.objects.get(assessment=assessment)
    url = f"/feedback/{request.pk}/"
    assert url in page(org.colleague.user, "/me/work/")
    for user in (org.employee.user, org.kabid.user, org.hr):
        page(user, url, 404)

    values = ["service_orientation", "accountability", "competence", "harmony", "loyalty", "adaptability", "collaboration"]
    partial = {f"rating-{value}": "above" for value in values[:6]}
    assert "Choose one." in post(org.colleague.user, url, partial, status=400).content.decode()
    post(org.colleague.user, url, {**partial, "rating-collaboration": "below", "comment": "Suka membantu"})
    request.refresh_from_db()
    assert request.status == "answered" and request.ratings["collaboration"] == "below"
    html = page(org.colleague.user, url)
    assert 'id="my-answer"' in html and "Suka membantu" in html
    assert url not in page(org.colleague.user, "/me/work/")


def test_fill_plan_helper_plans_show_their_results_read_only_to_the_rater(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    (result,) = fill_plan(plan, supports=approved_chain["kabid_result"])
    html = page(org.kabid.user, f"/plans/{plan.pk}/")
    assert 'id="plan-content"' in html and result.title in html and "save" not in ops(html)
