"""Every write leaves exactly one audit event on each document it writes, and none on the others.

A whole year is walked through the services, as the API and the pages call them (cycle, plans,
reports and evidence, a delegation, the evaluation, predicates, feedback, ratings, the forum,
an objection, the lapse sweep, ratification, closing). Around each call the audit events are
counted per document; afterwards ``manage.py verify_audit`` finds every chain intact. The year is
walked with the engine's fast path on and off, with the same statuses and events both ways.
"""

from __future__ import annotations

import datetime
import io
import zoneinfo
from collections import Counter
from contextlib import contextmanager

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count
from django.test import TestCase

from org.delegations import delegation_create, delegation_end
from org.models import Delegation
from processes.models import Assessment, Cycle, CycleMember, FeedbackRequest, MonthlyReport, Objection, Plan, PlanResult, UnitReview
from processes.services.cycles import cycle_create, cycle_open, cycle_populate
from processes.services.evaluations import evaluation_start
from processes.services.feedback import feedback_answer, feedback_invite
from processes.services.objections import assessments_lapse, objection_decide, objection_explain, objection_file
from processes.services.plans import plan_update_content
from processes.services.reports import evidence_add, evidence_delete, report_update_realisations, reports_open_month
from processes.services.scoring import (
    assessment_rate,
    unit_review_adjust,
    unit_review_approve,
    unit_review_ratify,
    unit_review_set_predicate,
)
from workflow.engine import perform
from workflow.models import AuditEvent

from ..api.helpers import agency_forum, berakhlak, indicator_body, ratifier_of, result_body
from ..helpers import audit_trigger_disabled

pytestmark = pytest.mark.django_db
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
YEAR = 2026


def at(month: int, day: int, year: int = YEAR):
    return time_machine.travel(datetime.datetime(year, month, day, 10, 0, tzinfo=JAKARTA), tick=False)


def key(document) -> tuple[str, int]:
    return document.document_type, document.pk


def event_counts() -> dict[tuple[str, int], int]:
    rows = AuditEvent.objects.values("document_type", "document_id").annotate(n=Count("id")).order_by()
    return {(row["document_type"], row["document_id"]): row["n"] for row in rows}


class Ledger:
    """``with ledger.write(label, *documents, created=...)``: the block is one write; it must add
    exactly one event to each of ``documents`` and of the documents ``created()`` names after it
    (those the write created), and none to any other document."""

    def __init__(self):
        self.writes = 0

    @contextmanager
    def write(self, label: str, *documents, created=lambda: ()):
        before = event_counts()
        yield
        after = event_counts()
        added = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
        assert added == {key(document): 1 for document in [*documents, *created()]}, label
        self.writes += 1


def walk_a_year(org, ledger: Ledger) -> dict:
    """The year of the org fixture's agency, every step through a service; returns what came out."""
    hr, kepala, kabid, employee, colleague = org.hr, org.kepala, org.kabid, org.employee, org.colleague
    write = ledger.write

    # January: HR creates and opens the cycle; the plans are created in bulk.
    with at(1, 5):
        with write("create the cycle", created=lambda: Cycle.objects.filter(year=YEAR)):
            cycle = cycle_create(actor=hr, name="Kinerja 2026", year=YEAR, units=[org.agency], plan_deadline=datetime.date(YEAR, 1, 31))
        # The Celery task that populates the cycle runs as its own write below.
        with write("open the cycle", cycle), TestCase.captureOnCommitCallbacks(execute=False):
            cycle_open(cycle=cycle, actor=hr)
        with write("populate the cycle", cycle, created=lambda: Plan.objects.filter(cycle=cycle)):
            cycle_populate(cycle.pk)
    members = {m.employee_id: m for m in CycleMember.objects.filter(cycle=cycle).select_related("employee__user", "rater__user")}
    assert len(members) == 6

    # The plans cascade down the hierarchy; one is returned and submitted again.
    with at(1, 12):
        done: set[int] = set()
        while len(done) < len(members):
            for employee_id, member in members.items():
                if employee_id in done or (member.rater_id in members and member.rater_id not in done):
                    continue
                plan = Plan.objects.get(member=member)
                owner, rater = member.employee.user, member.rater.user
                supports = PlanResult.objects.filter(plan__cycle=cycle, plan__employee_id=member.rater_id, approved=True).first()
                body = [result_body(f"Hasil kerja {member.employee.name}", supports=supports.pk if supports else None,
                                    indicators=[indicator_body(), indicator_body("Kualitas laporan", aspect="quality")])]
                with write("edit a plan", plan):
                    plan_update_content(plan=plan, actor=owner, results=body)
                with write("submit a plan", plan):
                    perform(plan, "submit", actor=owner)
                if employee_id == employee.pk:
                    with write("return a plan", plan):
                        perform(plan, "return", actor=rater, comment="Lengkapi")
                    with write("submit it again", plan):
                        perform(plan, "submit", actor=owner)
                with write("approve a plan", plan):
                    perform(plan, "approve", actor=rater, comment="Disetujui")
                done.add(employee_id)

    # February: January's reports, realisations, evidence, a delegation while kabid is away.
    with at(2, 1):
        with write("open the month's reports", created=lambda: MonthlyReport.objects.filter(cycle=cycle, month=1)):
            reports_open_month(year=YEAR, month=1)
        with write("open them again (nothing new)"):
            reports_open_month(year=YEAR, month=1)
    with at(2, 3):
        with write("kabid delegates", created=lambda: Delegation.objects.filter(delegator=kabid)):
            delegation = delegation_create(actor=kabid.user, delegate=org.other_kabid, start=datetime.date(YEAR, 2, 3),
                                           end=datetime.date(YEAR, 2, 10), reason="Cuti tahunan")
        for report in MonthlyReport.objects.filter(cycle=cycle).select_related("employee__user", "member__rater__user"):
            owner = report.employee.user
            items = [{"indicator": i.pk, "value": "1 dokumen"} for i in report.plan.results.get().indicators.all()]
            with write("report realisations", report):
                report_update_realisations(report=report, actor=owner, items=items)
            if report.employee_id == employee.pk:
                with write("add evidence", report):
                    evidence = evidence_add(report=report, actor=owner, url="https://arsip.example.test/a")
                with write("remove evidence", report):
                    evidence_delete(evidence=evidence, actor=owner)
                with write("add evidence again", report):
                    evidence_add(report=report, actor=owner, url="https://arsip.example.test/b")
            with write("submit a report", report):
                perform(report, "submit", actor=owner)
            # kabid's reports are accepted by other_kabid, his delegate, that week.
            reviewer = org.other_kabid.user if report.member.rater_id == kabid.pk else report.member.rater.user
            if report.employee_id == colleague.pk:
                with write("return a report", report):
                    perform(report, "return", actor=reviewer, comment="Bukti?")
                with write("submit it again", report):
                    perform(report, "submit", actor=owner)
            with write("accept a report", report):
                perform(report, "accept", actor=reviewer, comment="Baik")
        with write("kabid is back early", delegation):
            delegation_end(delegation=delegation, actor=kabid.user)

    # January of the next year: the annual evaluation.
    with at(1, 5, YEAR + 1):
        forum, ratifier = agency_forum(cycle), ratifier_of(cycle)
        with write("start the evaluation", cycle, created=lambda: [*UnitReview.objects.filter(cycle=cycle),
                                                                     *Assessment.objects.filter(cycle=cycle)]):
            evaluation_start(cycle=cycle, period="annual", actor=hr)
        reviews = {r.unit_id: r for r in UnitReview.objects.filter(cycle=cycle).select_related("predicate_setter__user")}
        for review in reviews.values():
            with write("set a unit predicate", review):
                unit_review_set_predicate(review=review, actor=review.predicate_setter.user, unit_predicate="good")
        assessments = {a.employee_id: a for a in Assessment.objects.filter(cycle=cycle).select_related("member__rater__user")}
        mine = assessments[employee.pk]
        with write("invite feedback", created=lambda: FeedbackRequest.objects.filter(cycle=cycle)):
            (request,) = feedback_invite(assessment=mine, actor=kabid.user, invitee_ids=[colleague.pk])
        with write("answer feedback", request):
            feedback_answer(request=request, actor=colleague.user, ratings=berakhlak())
        for assessment in assessments.values():
            rater = assessment.member.rater.user
            ratings = {"results_rating": "below" if assessment.employee_id == employee.pk else "as_expected",
                       "behaviour_rating": "as_expected", "note": "Catatan pribadi penilai"}
            with write("rate", assessment):
                assessment_rate(assessment=assessment, actor=rater, ratings=ratings)
            with write("submit a rating", assessment):
                perform(assessment, "submit", actor=rater)
        # The agency's predicate corrected once its leader's (kepala's) assessment is in: it follows.
        agency = reviews[org.agency.pk]
        with write("correct a unit predicate", agency, assessments[kepala.pk]):
            unit_review_set_predicate(review=agency, actor=agency.predicate_setter.user, unit_predicate="outstanding")
        division = reviews[org.division.pk]
        with write("the forum adjusts", division, assessments[colleague.pk]):
            unit_review_adjust(review=division, actor=forum, assessment_id=assessments[colleague.pk].pk, results_rating="above",
                               behaviour_rating="above", reason="Kalibrasi")  # very good
        for review in reviews.values():
            with write("the forum issues a unit", review, *Assessment.objects.filter(unit_review=review)):
                unit_review_approve(review=review, actor=forum, justification="Sesuai rapat")
        with write("object", mine, created=lambda: Objection.objects.filter(cycle=cycle)):
            objection = objection_file(assessment=mine, actor=employee.user, reasons="Capaian sesuai")
        with write("accept a result", assessments[colleague.pk]):
            perform(assessments[colleague.pk], "accept", actor=colleague.user)
    with at(1, 8, YEAR + 1):
        with write("the rater explains", objection):
            objection_explain(objection=objection, actor=kabid.user, explanation="Penjelasan")
        with write("the employee explains", objection):
            objection_explain(objection=objection, actor=employee.user, explanation="Alasan")
        with write("the superior decides", objection, mine):
            objection_decide(objection=objection, actor=kepala.user, outcome="changed", results_rating="as_expected",
                             reasons="Diperiksa")
    with at(1, 25, YEAR + 1):
        lapsing = list(Assessment.objects.filter(cycle=cycle, status=Assessment.Status.ISSUED))
        assert len(lapsing) == 4
        with write("the lapse sweep", *lapsing):
            assessments_lapse()
        with write("the lapse sweep again"):
            assessments_lapse()
        for review in reviews.values():
            with write("ratify a unit", review, *Assessment.objects.filter(unit_review=review)):
                unit_review_ratify(review=review, actor=ratifier)
        with write("close the cycle", cycle):
            perform(cycle, "close", actor=hr)

    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    total = AuditEvent.objects.count()
    assert f"All {total} audit events verified." in out.getvalue()
    return outcome(cycle)


def outcome(cycle) -> dict:
    """What the year left, in terms that do not depend on row ids."""
    def statuses(model, label):
        return sorted((label(d), d.status) for d in model.objects.filter(cycle=cycle))

    events = Counter(AuditEvent.objects.values_list("document_type", "action"))
    return {
        "cycle": type(cycle).objects.get(pk=cycle.pk).status,
        "plans": sorted((p.employee.name, p.status, p.revision, p.version)
                        for p in Plan.objects.filter(cycle=cycle).select_related("employee")),
        "reports": statuses(MonthlyReport, lambda r: (r.employee.name, r.month, r.late, r.version)),
        "assessments": sorted((a.employee.name, a.status, a.predicate, a.version) for a in
                              Assessment.objects.filter(cycle=cycle).select_related("employee")),
        "reviews": statuses(UnitReview, lambda r: (r.unit.code, r.unit_predicate, r.version)),
        "objections": sorted((o.status, o.outcome) for o in Objection.objects.filter(cycle=cycle)),
        "feedback": sorted(FeedbackRequest.objects.filter(cycle=cycle).values_list("status", flat=True)),
        "events": events,
    }


def walked(org, settings, *, fast_path: bool) -> tuple[dict, int]:
    """The year walked with the fast path on or off, then undone (a savepoint rolled back)."""
    settings.KINERJA_FAST_PATH = fast_path
    ledger = Ledger()
    with transaction.atomic():
        result = walk_a_year(org, ledger)
        transaction.set_rollback(True)
    return result, ledger.writes


def test_every_write_of_a_year_leaves_one_event_per_document_it_writes_and_the_trail_verifies(org, settings):
    result, writes = walked(org, settings, fast_path=True)
    assert writes >= 80  # the walk is not cut short: 84 service calls
    assert result["cycle"] == "closed"
    assert {status for _name, status, *_ in result["assessments"]} == {"ratified"}
    assert {status for _unit, status in result["reviews"]} == {"ratified"}
    assert result["objections"] == [("decided", "changed")]
    assert result["events"][("assessment", "follow_unit_predicate")] == 1
    assert result["events"][("plan", "create")] == 6 and result["events"][("report", "create")] == 6


def test_the_year_comes_out_the_same_with_the_fast_path_off(org, settings):
    fast, fast_writes = walked(org, settings, fast_path=True)
    plain, plain_writes = walked(org, settings, fast_path=False)
    assert plain_writes == fast_writes
    assert plain == fast


def test_verify_audit_fails_on_a_year_whose_trail_was_tampered_with(org, settings):
    """The check above is not vacuous: the same year with one event's comment changed is refused."""
    settings.KINERJA_FAST_PATH = True
    walk_a_year(org, Ledger())
    event = AuditEvent.objects.filter(document_type="objection", action="decide").get()
    with audit_trigger_disabled():
        AuditEvent.objects.filter(pk=event.pk).update(comment="Diubah diam-diam")
    errors = io.StringIO()
    with pytest.raises(CommandError, match="1 broken audit event"):
        call_command("verify_audit", stderr=errors)
    assert f"event {event.pk} " in errors.getvalue()
