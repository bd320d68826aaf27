"""The API and the pages are two faces of the same services: each command on plans and monthly
reports, sent through both with the same input, has the same outcome.

Each row of ``CASES`` is one command: who sends it, on which document, the API's request and the
page's form. Both are run from the same starting point (the first inside a savepoint that is
rolled back): an allowed command leaves the document in the same state with the same audit
event; a refused one changes nothing, and the reason the API gives (its 400 errors or its
403/409 detail) is the reason the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pytest
from django.db import transaction
from django.test import Client
from django.utils.html import escape
from rest_framework.test import APIClient

from processes.models import MonthlyReport
from processes.services.reports import evidence_add, report_update_realisations
from workflow.engine import perform
from workflow.models import AuditEvent

from .api.helpers import API, at, indicator_of, open_reports
from .conftest import fill_plan, plan_of

pytestmark = pytest.mark.django_db

LONG_TITLE = "x" * 10_000


# The starting points ---------------------------------------------------------------------------


# Each takes the organisation, the cycle and ``chain``: kepala's and kabid's plans approved (the
# ``approved_chain`` fixture), asked for only by the plans' cases.


@dataclass
class Start:
    document: object  # the plan or report the command is about (for a creation: its plan)
    extra: dict  # ids the requests name (an indicator, a piece of evidence)


def draft_plan(org, cycle, chain) -> Start:
    return Start(plan_of(cycle, org.employee), {"supports": chain()["kabid_result"].pk})


def filled_plan(org, cycle, chain) -> Start:
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=chain()["kabid_result"])
    return Start(plan, {"supports": chain()["kabid_result"].pk})


def submitted_plan(org, cycle, chain) -> Start:
    start = filled_plan(org, cycle, chain)
    perform(start.document, "submit", actor=org.employee.user)
    return start


def open_report(org, cycle, chain) -> Start:
    report = open_reports(cycle)[org.employee.pk]
    return Start(report, {"indicator": indicator_of(report).pk})


def report_with_link(org, cycle, chain) -> Start:
    start = open_report(org, cycle, chain)
    evidence = evidence_add(report=start.document, actor=org.employee.user, url="https://arsip.example.test/a", name="Arsip")
    return Start(start.document, {**start.extra, "evidence": evidence.pk})


def realised_report(org, cycle, chain) -> Start:
    start = open_report(org, cycle, chain)
    report_update_realisations(report=start.document, actor=org.employee.user,
                               items=[{"indicator": start.extra["indicator"], "value": "3 dokumen"}])
    return start


def submitted_report(org, cycle, chain) -> Start:
    start = realised_report(org, cycle, chain)
    perform(start.document, "submit", actor=org.employee.user)
    return start


def submitted_report_with_link(org, cycle, chain) -> Start:
    start = report_with_link(org, cycle, chain)
    report_update_realisations(report=start.document, actor=org.employee.user,
                               items=[{"indicator": start.extra["indicator"], "value": "3 dokumen"}])
    perform(start.document, "submit", actor=org.employee.user)
    return start


def approved_plan(org, cycle, chain) -> Start:
    """The employee's plan approved, no report yet (a month's report is created on first access)."""
    open_reports(cycle, month=2)  # approves every plan; January stays to be created
    return Start(plan_of(cycle, org.employee), {})


# The two forms of each command -------------------------------------------------------------------


def plan_body(title="Laporan keuangan", *, supports=None) -> list[dict]:
    return [{"title": title, "kind": "main", "supports": supports,
             "indicators": [{"description": "Laporan bulanan", "target": "12 laporan", "aspect": "quantity"}]}]


def plan_form(results: list[dict], op="save") -> dict:
    """The plan page's formset, from the same results the API is sent."""
    data = {"op": op, "results-TOTAL_FORMS": len(results), "results-INITIAL_FORMS": 0}
    for n, result in enumerate(results):
        at_ = f"results-{n}"
        data.update({f"{at_}-id": result.get("id") or "", f"{at_}-title": result["title"], f"{at_}-kind": result["kind"],
                     f"{at_}-supports": result["supports"] or "", f"{at_}-indicators-TOTAL_FORMS": len(result["indicators"]),
                     f"{at_}-indicators-INITIAL_FORMS": 0})
        for m, indicator in enumerate(result["indicators"]):
            data.update({f"{at_}-indicators-{m}-{name}": value for name, value in indicator.items()})
    return data


def realisation_form(rows: list[dict], op="save") -> dict:
    data = {"op": op, "realisations-TOTAL_FORMS": len(rows), "realisations-INITIAL_FORMS": len(rows)}
    for n, row in enumerate(rows):
        data.update({f"realisations-{n}-{name}": value for name, value in row.items()})
    return data


@dataclass
class Request:
    method: str
    url: str
    data: dict


@dataclass
class Case:
    id: str
    start: Callable[..., Start]
    who: str  # an attribute of ``org``
    api: Callable[[Start], Request]
    page: Callable[[Start], Request]
    # Allowed: the document's status after, and the audit event's action; refused: None, and
    # the HTTP status of the API's refusal.
    status: str | None = None
    action: str | None = None
    refused_with: int | None = None
    created: bool = False  # the command creates the month's report of the plan


def plan_api(start: Start, action: str | None = None, body=None) -> Request:
    if action is None:
        return Request("patch", f"{API}/plans/{start.document.pk}/", body)
    return Request("post", f"{API}/plans/{start.document.pk}/{action}/", body or {})


def report_api(start: Start, action: str = "", body=None, method="post") -> Request:
    return Request(method, f"{API}/reports/{start.document.pk}/{action}", body or {})


def plan_page(start: Start, data: dict) -> Request:
    return Request("post", f"/plans/{start.document.pk}/", data)


def report_page(start: Start, data: dict) -> Request:
    return Request("post", f"/reports/{start.document.pk}/", data)


def valid_content(s: Start) -> list[dict]:
    return plan_body(supports=s.extra["supports"])


CASES = [
    # The plan's content.
    Case("plan-edit", draft_plan, "employee",
         lambda s: plan_api(s, body={"results": valid_content(s)}), lambda s: plan_page(s, plan_form(valid_content(s))),
         status="draft", action="edit"),
    Case("plan-edit-title-too-long", draft_plan, "employee",
         lambda s: plan_api(s, body={"results": plan_body(LONG_TITLE)}), lambda s: plan_page(s, plan_form(plan_body(LONG_TITLE))),
         refused_with=400),
    Case("plan-edit-no-title", draft_plan, "employee",
         lambda s: plan_api(s, body={"results": plan_body("")}), lambda s: plan_page(s, plan_form(plan_body(""))),
         refused_with=400),
    Case("plan-edit-supports-a-stranger", draft_plan, "employee",
         lambda s: plan_api(s, body={"results": plan_body(supports=s.extra["supports"] + 1000)}),
         lambda s: plan_page(s, plan_form(plan_body(supports=s.extra["supports"] + 1000))),
         refused_with=400),
    Case("plan-edit-when-submitted", submitted_plan, "employee",
         lambda s: plan_api(s, body={"results": valid_content(s)}), lambda s: plan_page(s, plan_form(valid_content(s))),
         refused_with=409),
    Case("plan-edit-by-the-rater", draft_plan, "kabid",
         lambda s: plan_api(s, body={"results": valid_content(s)}), lambda s: plan_page(s, plan_form(valid_content(s))),
         refused_with=403),
    # The plan's steps.
    Case("plan-submit", filled_plan, "employee",
         lambda s: plan_api(s, "submit"), lambda s: plan_page(s, {"op": "submit"}), status="submitted", action="submit"),
    Case("plan-submit-empty", draft_plan, "employee",
         lambda s: plan_api(s, "submit"), lambda s: plan_page(s, {"op": "submit"}), refused_with=409),
    Case("plan-approve", submitted_plan, "kabid",
         lambda s: plan_api(s, "approve"), lambda s: plan_page(s, {"op": "approve"}), status="approved", action="approve"),
    Case("plan-approve-by-the-owner", submitted_plan, "employee",
         lambda s: plan_api(s, "approve"), lambda s: plan_page(s, {"op": "approve"}), refused_with=403),
    Case("plan-return", submitted_plan, "kabid",
         lambda s: plan_api(s, "return", {"comment": "Perbaiki target"}),
         lambda s: plan_page(s, {"op": "return", "comment": "Perbaiki target"}), status="returned", action="return"),
    Case("plan-return-without-comment", submitted_plan, "kabid",
         lambda s: plan_api(s, "return"), lambda s: plan_page(s, {"op": "return"}), refused_with=400),
    # The report's realisations and evidence.
    Case("report-realisations", open_report, "employee",
         lambda s: report_api(s, body={"realisations": [{"indicator": s.extra["indicator"], "value": "3 dokumen", "note": "Sesuai"}]},
                              method="patch"),
         lambda s: report_page(s, realisation_form([{"indicator": s.extra["indicator"], "value": "3 dokumen", "note": "Sesuai"}])),
         status="open", action="edit"),
    Case("report-realisation-too-long", open_report, "employee",
         lambda s: report_api(s, body={"realisations": [{"indicator": s.extra["indicator"], "value": "9" * 501}]}, method="patch"),
         lambda s: report_page(s, realisation_form([{"indicator": s.extra["indicator"], "value": "9" * 501, "note": ""}])),
         refused_with=400),
    Case("report-realisation-emptied", realised_report, "employee",
         lambda s: report_api(s, body={"realisations": [{"indicator": s.extra["indicator"], "value": ""}]}, method="patch"),
         lambda s: report_page(s, realisation_form([{"indicator": s.extra["indicator"], "value": "", "note": ""}])),
         refused_with=400),
    Case("report-realisations-by-the-rater", open_report, "kabid",
         lambda s: report_api(s, body={"realisations": [{"indicator": s.extra["indicator"], "value": "3"}]}, method="patch"),
         lambda s: report_page(s, realisation_form([{"indicator": s.extra["indicator"], "value": "3", "note": ""}])),
         refused_with=403),
    Case("evidence-link", open_report, "employee",
         lambda s: report_api(s, "evidence/", {"url": "https://drive.example.test/rapat", "name": "Foto rapat"}),
         lambda s: report_page(s, {"op": "link", "url": "https://drive.example.test/rapat", "name": "Foto rapat"}),
         status="open", action="add_evidence"),
    Case("evidence-link-not-a-web-address", open_report, "employee",
         lambda s: report_api(s, "evidence/", {"url": "ftp://drive.example.test/rapat"}),
         lambda s: report_page(s, {"op": "link", "url": "ftp://drive.example.test/rapat", "name": ""}), refused_with=400),
    Case("evidence-link-name-too-long", open_report, "employee",
         lambda s: report_api(s, "evidence/", {"url": "https://drive.example.test/rapat", "name": "n" * 300}),
         lambda s: report_page(s, {"op": "link", "url": "https://drive.example.test/rapat", "name": "n" * 300}), refused_with=400),
    Case("evidence-delete", report_with_link, "employee",
         lambda s: report_api(s, f"evidence/{s.extra['evidence']}/", method="delete"),
         lambda s: report_page(s, {"op": "delete_evidence", "evidence": s.extra["evidence"]}),
         status="open", action="delete_evidence"),
    Case("evidence-link-once-submitted", submitted_report, "employee",
         lambda s: report_api(s, "evidence/", {"url": "https://drive.example.test/rapat"}),
         lambda s: report_page(s, {"op": "link", "url": "https://drive.example.test/rapat", "name": ""}), refused_with=409),
    Case("evidence-delete-once-submitted", submitted_report_with_link, "employee",
         lambda s: report_api(s, f"evidence/{s.extra['evidence']}/", method="delete"),
         lambda s: report_page(s, {"op": "delete_evidence", "evidence": s.extra["evidence"]}), refused_with=409),
    Case("evidence-delete-by-the-rater", report_with_link, "kabid",
         lambda s: report_api(s, f"evidence/{s.extra['evidence']}/", method="delete"),
         lambda s: report_page(s, {"op": "delete_evidence", "evidence": s.extra["evidence"]}), refused_with=403),
    # The report's steps.
    Case("report-submit", realised_report, "employee",
         lambda s: report_api(s, "submit/"), lambda s: report_page(s, {"op": "submit"}), status="submitted", action="submit"),
    Case("report-submit-without-realisation", open_report, "employee",
         lambda s: report_api(s, "submit/"), lambda s: report_page(s, {"op": "submit"}), refused_with=409),
    Case("report-accept", submitted_report, "kabid",
         lambda s: report_api(s, "accept/", {"comment": "Bagus"}), lambda s: report_page(s, {"op": "accept", "comment": "Bagus"}),
         status="accepted", action="accept"),
    Case("report-return", submitted_report, "kabid",
         lambda s: report_api(s, "return/", {"comment": "Lengkapi bukti"}),
         lambda s: report_page(s, {"op": "return", "comment": "Lengkapi bukti"}), status="returned", action="return"),
    Case("report-accept-by-the-owner", submitted_report, "employee",
         lambda s: report_api(s, "accept/"), lambda s: report_page(s, {"op": "accept"}), refused_with=403),
    # A month's report, created on first access.
    Case("report-create", approved_plan, "employee",
         lambda s: Request("post", f"{API}/reports/", {"plan": s.document.pk, "month": 1}),
         lambda s: Request("post", f"/plans/{s.document.pk}/reports/", {"month": "1"}),
         status="open", action="create", created=True),
    Case("report-create-for-a-month-to-come", approved_plan, "employee",
         lambda s: Request("post", f"{API}/reports/", {"plan": s.document.pk, "month": 12}),
         lambda s: Request("post", f"/plans/{s.document.pk}/reports/", {"month": "12"}), refused_with=400),
    Case("report-create-for-no-month", approved_plan, "employee",
         lambda s: Request("post", f"{API}/reports/", {"plan": s.document.pk, "month": "thirteen"}),
         lambda s: Request("post", f"/plans/{s.document.pk}/reports/", {"month": "thirteen"}), refused_with=400),
    Case("report-create-by-the-rater", approved_plan, "kabid",
         lambda s: Request("post", f"{API}/reports/", {"plan": s.document.pk, "month": 1}),
         lambda s: Request("post", f"/plans/{s.document.pk}/reports/", {"month": "1"}), refused_with=403),
]


# Running a command through each face ----------------------------------------------------------


@dataclass
class Outcome:
    status: str  # the document's status after
    version: int
    actions: list[str]  # the audit events the command added
    reasons: list[str]  # the API's: its errors or detail; the page's: its whole text
    http: int


def subject(case: Case, start: Start):
    """The document whose state the command changes (for a creation, January's new report)."""
    if case.created:
        return MonthlyReport.objects.filter(plan=start.document, month=1).first()
    return type(start.document).objects.get(pk=start.document.pk)


def events(document) -> list[str]:
    if document is None:
        return []
    return list(AuditEvent.objects.filter(document_type=document.document_type, document_id=document.pk)
                .order_by("seq").values_list("action", flat=True))


def observe(case: Case, start: Start, send: Callable[[], tuple[int, list[str]]]) -> Outcome:
    before = events(subject(case, start))
    http, reasons = send()
    after = subject(case, start)
    actions = events(after)
    assert actions[:len(before)] == before  # the trail only grows
    return Outcome(after.status if after else "", after.version if after else 0, actions[len(before):], reasons, http)


def through_api(user, request: Request) -> tuple[int, list[str]]:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)  # the web UI's session, as the pages
    response = getattr(client, request.method)(request.url, request.data, format="json")
    body = response.json() if response.content else {}
    if response.status_code >= 400:
        found = body.get("errors") or {"detail": [body.get("detail", "")]}
        return response.status_code, [str(message) for messages in found.values() for message in messages]
    return response.status_code, []


def through_page(user, request: Request) -> tuple[int, list[str]]:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.post(request.url, request.data, follow=True)
    return response.status_code, [response.content.decode()]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_the_api_and_the_page_give_the_same_outcome(org, cycle, case, settings, tmp_path, request):
    settings.MEDIA_ROOT = str(tmp_path)
    with at(3, 1):  # March 2026: January's and February's reports may exist, December's not yet
        # The plans' cases need kabid's approved plan to cascade from; the reports' approve every plan.
        start = case.start(org, cycle, lambda: request.getfixturevalue("approved_chain"))
        user = getattr(org, case.who).user
        untouched = subject(case, start)

        savepoint = transaction.savepoint()
        api = observe(case, start, lambda: through_api(user, case.api(start)))
        transaction.savepoint_rollback(savepoint)
        page = observe(case, start, lambda: through_page(user, case.page(start)))

    if case.refused_with is None:
        assert api.http < 300, api.reasons
        assert (api.status, api.actions) == (page.status, page.actions) == (case.status, [case.action])
        assert api.version == page.version
        assert 'class="errorlist"' not in page.reasons[0] and '<li class="error">' not in page.reasons[0]
    else:
        assert api.http == case.refused_with
        assert api.reasons and all(reason for reason in api.reasons)
        for reason in api.reasons:  # the page tells the very reason the API gives
            assert escape(reason) in page.reasons[0], (reason, case.id)
        assert api.actions == page.actions == []
        if untouched is not None:
            assert api.version == page.version == untouched.version
        else:
            assert not MonthlyReport.objects.filter(plan=start.document, month=1).exists()
