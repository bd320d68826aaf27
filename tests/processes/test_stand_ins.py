"""A delegate and an acting official can do exactly what the person they stand for can, on every
document type (docs/roles.md, "Seats, acting officials and delegates").

Each row of CASES is one thing a role holder does on one document type: how to bring the document
to the state where it is done, whose it is to do (the holder), how the pages ask whether it may be
done (``available_actions`` / ``may_edit``) and how it is really done (the service or the engine,
as the API does). Each is tried by the holder in person and by a stand-in of every kind; the check
and the act must agree, and an act done for somebody records on whose behalf.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Callable

import pytest
from django.utils import timezone

from org.delegations import delegation_create, delegation_end
from processes.models import PlanResult
from processes.services.feedback import feedback_answer, feedback_invite
from processes.services.objections import objection_decide, objection_explain, objection_file
from processes.services.plans import plan_update_content
from processes.services.reports import evidence_add, report_update_realisations
from processes.services.scoring import assessment_rate, unit_review_set_predicate
from workflow.engine import available_actions, may_edit, perform
from workflow.errors import NotPermitted
from workflow.models import AuditEvent

from ..api.helpers import approve_chain, berakhlak, indicator_of, open_reports, realise, result_body
from ..conftest import fill_plan, plan_of
from ..factories import ActingAssignmentFactory, DelegationFactory, EmployeeFactory, UnitFactory
from ..lifecycle import approve_all_plans, issue_unit, rate_all, set_unit_predicates, start_evaluation
from .conftest import assessment_of, review_of

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

SEAT, PERSONAL = "seat", "personal"  # a seat may be held by an acting official; a person's role never


# Documents in the state each case needs -------------------------------------------------------


def kabid_result(cycle):
    return PlanResult.objects.get(plan__cycle=cycle, plan__employee__name="Kabid A", approved=True)


def draft_plan(org, cycle):
    """The employee's plan, filled from kabid's approved result (kepala's and kabid's plans approved)."""
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approve_chain(org, cycle))
    return plan


def submitted_plan(org, cycle):
    plan = draft_plan(org, cycle)
    perform(plan, "submit", actor=org.employee.user)
    return plan


def approved_plan(org, cycle):
    plan = submitted_plan(org, cycle)
    perform(plan, "approve", actor=org.kabid.user)
    return plan


def open_report(org, cycle):
    return open_reports(cycle, month=1)[org.employee.pk]


def realised_report(org, cycle):
    report = open_report(org, cycle)
    realise(report)
    return report


def submitted_report(org, cycle):
    report = realised_report(org, cycle)
    perform(report, "submit", actor=org.employee.user)
    return report


def _evaluation(org, cycle):
    approve_all_plans(cycle)
    return start_evaluation(cycle, org.hr)


def open_review(org, cycle):
    return review_of(_evaluation(org, cycle), org.division)


def draft_assessment(org, cycle):
    evaluation = _evaluation(org, cycle)
    set_unit_predicates(evaluation, "good")
    return assessment_of(evaluation, org.employee)


def rated_assessment(org, cycle):
    assessment = draft_assessment(org, cycle)
    assessment_rate(assessment=assessment, actor=org.kabid.user,
                    ratings={"results_rating": "as_expected", "behaviour_rating": "as_expected"})
    return assessment


def issued_assessment(org, cycle):
    evaluation = _evaluation(org, cycle)
    set_unit_predicates(evaluation, "good")
    rate_all(evaluation, {org.employee.pk: ("below", "as_expected")})
    issue_unit(review_of(evaluation, org.division), org.forum_member)
    return assessment_of(evaluation, org.employee)


def filed_objection(org, cycle):
    assessment = issued_assessment(org, cycle)
    return objection_file(assessment=assessment, actor=org.employee.user, reasons="Capaian saya melebihi target")


def explained_objection(org, cycle):
    objection = filed_objection(org, cycle)
    objection_explain(objection=objection, actor=org.kabid.user, explanation="Penjelasan penilai")
    objection_explain(objection=objection, actor=org.employee.user, explanation="Penjelasan pegawai")
    return objection


def pending_feedback(org, cycle):
    evaluation = _evaluation(org, cycle)
    (request,) = feedback_invite(assessment=assessment_of(evaluation, org.employee), actor=org.kabid.user,
                                 invitee_ids=[org.colleague.pk])
    return request


# The acts ------------------------------------------------------------------------------------


def _act(action, comment=""):
    return lambda document, user: perform(document, action, actor=user, comment=comment)


def edit_plan(plan, user):
    plan_update_content(plan=plan, actor=user, results=[result_body("Hasil kerja baru", supports=kabid_result(plan.cycle).pk)])


def edit_report(report, user):
    report_update_realisations(report=report, actor=user, items=[{"indicator": indicator_of(report).pk, "value": "2 dokumen"}])


def add_evidence(report, user):
    evidence_add(report=report, actor=user, url="https://arsip.example.test/notulen", name="Notulen")


def rate(assessment, user):
    assessment_rate(assessment=assessment, actor=user, ratings={"results_rating": "above", "behaviour_rating": "as_expected"})


def set_predicate(review, user):
    unit_review_set_predicate(review=review, actor=user, unit_predicate="good", comment="Capaian unit baik")


def explain(objection, user):
    objection_explain(objection=objection, actor=user, explanation="Penjelasan atas keberatan")


def decide(objection, user):
    objection_decide(objection=objection, actor=user, outcome="upheld", reasons="Penilaian sudah sesuai")


def answer(request, user):
    feedback_answer(request=request, actor=user, ratings=berakhlak(), comment="Rekan yang dapat diandalkan")


@dataclass(frozen=True)
class Case:
    id: str
    prepare: Callable  # (org, cycle) -> the document, in the state the act needs
    holder: str  # the org fixture's attribute of whose act it is
    kind: str  # SEAT or PERSONAL
    act: Callable  # (document, user): the service or engine call
    action: str = ""  # the action the pages offer (available_actions) ...
    edit: str = ""  # ... or the edit (may_edit)

    def offered(self, document, user) -> bool:
        if self.edit:
            return may_edit(document, self.edit, user)
        return self.action in available_actions(document, user)


CASES = [
    Case("plan-employee-edits", draft_plan, "employee", PERSONAL, edit_plan, edit="edit"),
    Case("plan-employee-submits", draft_plan, "employee", PERSONAL, _act("submit"), action="submit"),
    Case("plan-employee-amends", approved_plan, "employee", PERSONAL, _act("amend", "Target berubah"), action="amend"),
    Case("plan-rater-approves", submitted_plan, "kabid", SEAT, _act("approve", "Disetujui"), action="approve"),
    Case("plan-rater-returns", submitted_plan, "kabid", SEAT, _act("return", "Lengkapi target kualitas"), action="return"),
    Case("report-employee-edits-realisations", open_report, "employee", PERSONAL, edit_report, edit="edit"),
    Case("report-employee-adds-evidence", open_report, "employee", PERSONAL, add_evidence, edit="add_evidence"),
    Case("report-employee-submits", realised_report, "employee", PERSONAL, _act("submit"), action="submit"),
    Case("report-rater-accepts", submitted_report, "kabid", SEAT, _act("accept", "Baik"), action="accept"),
    Case("report-rater-returns", submitted_report, "kabid", SEAT, _act("return", "Bukti belum ada"), action="return"),
    Case("assessment-rater-rates", draft_assessment, "kabid", SEAT, rate, edit="rate"),
    Case("assessment-rater-submits", rated_assessment, "kabid", SEAT, _act("submit"), action="submit"),
    Case("assessment-employee-accepts", issued_assessment, "employee", PERSONAL, _act("accept"), action="accept"),
    Case("review-predicate-setter-sets", open_review, "kepala", SEAT, set_predicate, action="set_unit_predicate"),
    Case("objection-rater-explains", filed_objection, "kabid", SEAT, explain, action="explain_as_rater"),
    Case("objection-employee-explains", filed_objection, "employee", PERSONAL, explain, action="explain_as_employee"),
    Case("objection-raters-superior-decides", explained_objection, "kepala", SEAT, decide, action="decide"),
    # The flow names no stand-in for the invitee: the colleague asked answers in person only.
    Case("feedback-invitee-answers", pending_feedback, "colleague", "invitee", answer, action="answer"),
]


# Who tries -----------------------------------------------------------------------------------


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def in_person(org, holder, stand_in):
    return holder.user


def delegate(org, holder, stand_in):
    delegation_create(actor=holder.user, delegate=stand_in, start=days(0), end=days(7), reason="Cuti tahunan")
    return stand_in.user


def acting_official(org, holder, stand_in):
    ActingAssignmentFactory(employee=stand_in, position=holder.position, start=days(0), end=days(7))
    return stand_in.user


def delegation_ended_yesterday(org, holder, stand_in):
    DelegationFactory(delegator=holder, delegate=stand_in, start=days(-10), end=days(-1))
    return stand_in.user


def delegation_starting_tomorrow(org, holder, stand_in):
    delegation_create(actor=holder.user, delegate=stand_in, start=days(1), end=days(7), reason="Dinas luar")
    return stand_in.user


def delegation_ended_early(org, holder, stand_in):
    delegation = delegation_create(actor=holder.user, delegate=stand_in, start=days(-2), end=days(7), reason="Cuti sakit")
    delegation_end(delegation=delegation, actor=holder.user)
    return stand_in.user


def acting_assignment_ended_yesterday(org, holder, stand_in):
    ActingAssignmentFactory(employee=stand_in, position=holder.position, start=days(-10), end=days(-1))
    return stand_in.user


# (who, allowed for a seat, allowed for the employee's own role, on behalf of the holder)
WHO = [
    (in_person, True, True, False),
    (delegate, True, True, True),
    (acting_official, True, False, True),
    (delegation_ended_yesterday, False, False, None),
    (delegation_starting_tomorrow, False, False, None),
    (delegation_ended_early, False, False, None),
    (acting_assignment_ended_yesterday, False, False, None),
]


def events_of(document):
    return AuditEvent.objects.filter(document_type=document.document_type, document_id=document.pk)


def fresh(document):
    return type(document).objects.get(pk=document.pk)


@pytest.fixture
def stand_in(org):
    """Somebody of the agency (one delegates only to a colleague of one's agency) in a unit of
    their own, with no role of their own on any of its documents."""
    return EmployeeFactory(name="Pengganti", user__username="pengganti",
                           position__unit=UnitFactory(code="DIV-SI", name="Bidang Lain", parent=org.agency))


@pytest.mark.parametrize("who, seat_allowed, personal_allowed, for_holder", WHO, ids=[w[0].__name__ for w in WHO])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_stand_in_may_do_exactly_what_the_holder_may(org, cycle, stand_in, case, who, seat_allowed,
                                                       personal_allowed, for_holder):
    document = fresh(case.prepare(org, cycle))
    holder = getattr(org, case.holder)
    user = who(org, holder, stand_in)
    if case.kind == SEAT:
        allowed = seat_allowed
    elif case.kind == PERSONAL:
        allowed = personal_allowed
    else:  # the invitee: in person only
        allowed = who is in_person
    before_status, before_events = document.status, events_of(document).count()

    assert case.offered(document, user) is allowed  # what the pages and the API offer ...

    if allowed:  # ... is what the engine lets them do
        case.act(document, user)
        event = events_of(document).order_by("-seq").first()
        assert events_of(document).count() == before_events + 1
        assert event.actor_id == user.pk
        assert event.on_behalf_of_id == (holder.user.pk if for_holder else None)
    else:
        with pytest.raises(NotPermitted):
            case.act(document, user)
        assert fresh(document).status == before_status
        assert events_of(document).count() == before_events


# Nobody judges their own document through a stand-in -------------------------------------------


def _employee_stands_in_for(org, seat_holder, how):
    if how == "delegate":
        DelegationFactory(delegator=seat_holder, delegate=org.employee, start=days(-1), end=days(7))
    else:
        ActingAssignmentFactory(employee=org.employee, position=seat_holder.position, start=days(-1), end=days(7))


OWN_DOCUMENT = [
    ("plan-approve", submitted_plan, "kabid", _act("approve", "Disetujui"), "approve", ""),
    ("plan-return", submitted_plan, "kabid", _act("return", "Kurang"), "return", ""),
    ("report-accept", submitted_report, "kabid", _act("accept", "Baik"), "accept", ""),
    ("assessment-rate", draft_assessment, "kabid", rate, "", "rate"),
    ("assessment-submit", rated_assessment, "kabid", _act("submit"), "submit", ""),
    ("objection-explain-as-rater", filed_objection, "kabid", lambda o, u: perform(o, "explain_as_rater", actor=u, comment="Saya"),
     "explain_as_rater", ""),
    ("objection-decide", explained_objection, "kepala", decide, "decide", ""),
]


@pytest.mark.parametrize("how", ["delegate", "acting_official"])
@pytest.mark.parametrize("name, prepare, seat_holder, act, action, edit_name", OWN_DOCUMENT, ids=[row[0] for row in OWN_DOCUMENT])
def test_nobody_judges_their_own_document_as_a_stand_in_for_their_judge(org, cycle, name, prepare, seat_holder,
                                                                         act, action, edit_name, how):
    document = fresh(prepare(org, cycle))
    _employee_stands_in_for(org, getattr(org, seat_holder), how)
    user = org.employee.user
    before = events_of(document).count()

    if edit_name:
        assert may_edit(document, edit_name, user) is False
    else:
        assert action not in available_actions(document, user)
    with pytest.raises(NotPermitted):
        act(document, user)
    assert events_of(document).count() == before


def test_a_stand_in_for_the_rater_still_judges_the_other_employees_documents(org, cycle, approved_chain):
    """The rule above refuses the employee's own document only: as kabid's delegate, the employee
    approves a colleague's plan, on kabid's behalf."""
    colleague_plan = plan_of(cycle, org.colleague)
    fill_plan(colleague_plan, supports=approved_chain["kabid_result"])
    perform(colleague_plan, "submit", actor=org.colleague.user)
    _employee_stands_in_for(org, org.kabid, "delegate")

    assert "approve" in available_actions(fresh(colleague_plan), org.employee.user)
    event = perform(colleague_plan, "approve", actor=org.employee.user).event
    assert (event.actor_id, event.on_behalf_of_id) == (org.employee.user.pk, org.kabid.user.pk)


# Four eyes: whoever judges the document never also speaks for its employee ----------------------

FOUR_EYES = [
    ("plan-submit", draft_plan, _act("submit"), "submit", ""),
    ("plan-edit", draft_plan, edit_plan, "", "edit"),
    ("report-submit", realised_report, _act("submit"), "submit", ""),
    ("report-edit", open_report, edit_report, "", "edit"),
    ("assessment-accept", issued_assessment, _act("accept"), "accept", ""),
    ("objection-explain-as-employee", filed_objection,
     lambda o, u: perform(o, "explain_as_employee", actor=u, comment="Penjelasan"), "explain_as_employee", ""),
]


@pytest.mark.parametrize("judge", ["kabid", "kepala"])
@pytest.mark.parametrize("name, prepare, act, action, edit_name", FOUR_EYES, ids=[row[0] for row in FOUR_EYES])
def test_the_employees_delegate_who_judges_the_document_cannot_speak_for_the_employee(org, cycle, name, prepare,
                                                                                     act, action, edit_name, judge):
    document = fresh(prepare(org, cycle))
    judge_user = getattr(org, judge).user
    delegation_create(actor=org.employee.user, delegate=getattr(org, judge), start=days(0), end=days(7), reason="Cuti")
    before_status, before = document.status, events_of(document).count()

    if edit_name:
        assert may_edit(document, edit_name, judge_user) is False
    else:
        assert action not in available_actions(document, judge_user)
    with pytest.raises(NotPermitted):
        act(document, judge_user)
    assert fresh(document).status == before_status and events_of(document).count() == before


def test_a_delegate_who_files_the_employees_objection_is_recorded_on_the_assessment_as_acting_for_them(org, cycle,
                                                                                                       stand_in):
    assessment = issued_assessment(org, cycle)
    delegate(org, org.employee, stand_in)
    objection_file(assessment=fresh(assessment), actor=stand_in.user, reasons="Capaian melebihi target")
    event = events_of(assessment).get(action="object")
    assert (event.actor_id, event.on_behalf_of_id) == (stand_in.user.pk, org.employee.user.pk)


def test_a_delegate_who_files_the_employees_objection_is_recorded_on_the_objection_as_acting_for_them(org, cycle,
                                                                                                      stand_in):
    assessment = issued_assessment(org, cycle)
    delegate(org, org.employee, stand_in)
    objection = objection_file(assessment=fresh(assessment), actor=stand_in.user, reasons="Capaian melebihi target")
    event = events_of(objection).get(seq=1)
    assert (event.actor_id, event.on_behalf_of_id) == (stand_in.user.pk, org.employee.user.pk)
