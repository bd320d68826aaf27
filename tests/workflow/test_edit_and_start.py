"""The engine's ``edit`` and ``start_many`` on their own (docs/engine.md, "What each does").

``edit``: who may is asked before the state (a stranger learns nothing), the state comes from the
flow's declared editable states, the version is checked and bumped, one event records each
changed field before and after (a private note only as changed), a failing change leaves no
trace, and a change that finds nothing to do writes nothing. ``start_many``: each new document
gets one first event, its flow's tasks and notices, in a number of queries that does not grow
with the number of documents.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from notifications.models import Notification
from processes.models import Assessment, MonthlyReport, Plan, PlanResult
from processes.services.evaluations import evaluation_start
from processes.services.plans import plan_update_content
from processes.services.reports import evidence_add, report_update_realisations, reports_create
from processes.services.scoring import assessment_rate
from workflow.engine import UNCHANGED, edit, perform
from workflow.errors import Conflict, InvalidTransition, NotPermitted
from workflow.models import AuditEvent, OpenTask

from ..api.helpers import add_staff, approve_chain, english, indicator_of, open_cycle, open_reports, plan_url, result_body
from ..conftest import fill_plan, plan_of
from ..lifecycle import approve_all_plans, rate_and_submit, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


def events_of(document):
    return AuditEvent.objects.filter(document_type=document.document_type, document_id=document.pk)


def tasks_of(document):
    return OpenTask.objects.filter(document_type=document.document_type, document_id=document.pk)


def trace(document) -> tuple:
    """Everything an edit could leave behind on a document."""
    fresh = type(document).objects.get(pk=document.pk)
    return (fresh.status, fresh.version, fresh.updated_at, events_of(document).count(),
            sorted(tasks_of(document).values_list("id", "closed_at")),
            Notification.objects.filter(document_type=document.document_type, document_id=document.pk).count())


class Recorder:
    """A change that records whether the engine called it."""

    def __init__(self, result=None):
        self.calls, self.result = 0, result

    def __call__(self, flow):
        self.calls += 1
        return self.result


# Documents in the states the table needs ------------------------------------------------------


def submitted_plan(org, cycle):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=_kabid_result(org, cycle))
    perform(plan, "submit", actor=org.employee.user)
    return plan, org.employee.user, "edit"


def draft_plan(org, cycle):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=_kabid_result(org, cycle))
    return plan, org.employee.user, "edit"


def _kabid_result(org, cycle):
    return approve_chain(org, cycle)


def submitted_report(org, cycle):
    report = open_reports(cycle)[org.employee.pk]
    report_update_realisations(report=report, actor=org.employee.user, items=[{"indicator": indicator_of(report).pk, "value": "1"}])
    perform(report, "submit", actor=org.employee.user)
    return report, org.employee.user, "edit"


def submitted_report_evidence(org, cycle):
    report, user, _name = submitted_report(org, cycle)
    return report, user, "add_evidence"


def open_report(org, cycle):
    return open_reports(cycle)[org.employee.pk], org.employee.user, "edit"


def _scoring(org, cycle):
    approve_all_plans(cycle)
    evaluation = start_evaluation(cycle, org.hr)
    set_unit_predicates(evaluation, "good")
    return Assessment.objects.get(evaluation=evaluation, employee=org.employee)


def submitted_assessment(org, cycle):
    return rate_and_submit(_scoring(org, cycle)), org.kabid.user, "rate"


def draft_assessment(org, cycle):
    return _scoring(org, cycle), org.kabid.user, "rate"


OUTSIDE_STATES = [
    ("plan-submitted", submitted_plan, "Submitted"),
    ("report-submitted", submitted_report, "Submitted"),
    ("report-submitted-evidence", submitted_report_evidence, "Submitted"),
    ("assessment-submitted", submitted_assessment, "Submitted"),
]


@pytest.mark.parametrize("name, prepare, label", OUTSIDE_STATES, ids=[row[0] for row in OUTSIDE_STATES])
def test_an_edit_outside_the_flows_editable_states_is_an_invalid_transition_naming_the_state(org, cycle, name, prepare, label):
    document, owner, edit_name = prepare(org, cycle)
    change, before = Recorder(), trace(document)

    with pytest.raises(InvalidTransition) as refused:
        edit(document, edit_name, actor=owner, change=change)

    assert type(refused.value) is InvalidTransition and refused.value.code == "invalid_transition"
    assert refused.value.status == "submitted" and f"“{label}”" in refused.value.message
    assert change.calls == 0 and trace(document) == before


def test_through_the_api_an_edit_of_a_submitted_plan_is_a_409_naming_the_state(org, cycle):
    plan, owner, _name = submitted_plan(org, cycle)
    response = english(owner).patch(plan_url(plan), {"results": [result_body()]}, format="json")
    assert response.status_code == 409
    assert response.json()["status"] == "submitted" and "“Submitted”" in response.json()["detail"]


REFUSALS = [
    ("plan-draft", draft_plan, "Only the plan's owner may edit it."),
    ("plan-submitted", submitted_plan, "Only the plan's owner may edit it."),
    ("report-open", open_report, "Only the report's owner may change it."),
    ("report-submitted", submitted_report, "Only the report's owner may change it."),
    ("assessment-draft", draft_assessment, "Only the employee's rater may rate this assessment."),
    ("assessment-submitted", submitted_assessment, "Only the employee's rater may rate this assessment."),
]


@pytest.mark.parametrize("name, prepare, refusal", REFUSALS, ids=[row[0] for row in REFUSALS])
def test_someone_without_the_role_is_refused_with_the_flows_message_whatever_the_state(org, cycle, name, prepare, refusal):
    """The same answer in an editable state and outside one: the stranger learns nothing of it."""
    document, _owner, edit_name = prepare(org, cycle)
    change, before = Recorder(), trace(document)

    with pytest.raises(NotPermitted) as refused:
        edit(document, edit_name, actor=org.other_employee.user, change=change)

    assert refused.value.message == refusal
    assert change.calls == 0 and trace(document) == before


def test_an_edit_bumps_the_version_and_records_each_changed_field_before_and_after(org, cycle):
    assessment = _scoring(org, cycle)
    version = assessment.version
    rated = assessment_rate(assessment=assessment, actor=org.kabid.user, ratings={
        "results_rating": "above", "behaviour_rating": "as_expected", "note": "Sangat rahasia: sering terlambat"})

    event = events_of(assessment).get(action="rate")
    assert rated.version == version + 1 == Assessment.objects.get(pk=assessment.pk).version
    assert (event.from_state, event.to_state, event.actor_id, event.on_behalf_of_id) == ("draft", "draft", org.kabid.user.pk, None)
    assert event.data["changes"] == {
        "behaviour_rating": ["", "as_expected"],
        "note": "changed",  # the rater's private words stay out of the trail
        "predicate": ["", "good"],
        "rated_predicate": ["", "good"],
        "results_rating": ["", "above"],
    }
    assert "terlambat" not in str(event.data) + event.comment


def test_an_edit_with_a_stale_version_is_a_conflict_and_changes_nothing(org, cycle):
    plan, owner, _name = draft_plan(org, cycle)
    plan.refresh_from_db()
    change, before = Recorder({"touched": True}), trace(plan)

    with pytest.raises(Conflict) as refused:
        edit(plan, "edit", actor=owner, change=change, expected_version=plan.version - 1)
    assert refused.value.code == "conflict" and change.calls == 0 and trace(plan) == before

    edit(plan, "edit", actor=owner, change=change, expected_version=plan.version)
    assert change.calls == 1 and Plan.objects.get(pk=plan.pk).version == plan.version + 1


def test_a_change_that_fails_half_way_rolls_back_every_write_of_the_change(org, cycle):
    plan, owner, _name = draft_plan(org, cycle)
    results_before = list(PlanResult.objects.filter(plan=plan).values_list("pk", "title"))
    before = trace(plan)

    def half_written(flow):
        PlanResult.objects.filter(plan=flow.document).delete()
        PlanResult.objects.create(plan=flow.document, title="Separuh jalan", kind=PlanResult.Kind.MAIN)
        flow.set(review_comment="ditulis setengah")
        raise ValidationError({"results": ["Ada yang salah di tengah jalan."]})

    with pytest.raises(ValidationError):
        edit(plan, "edit", actor=owner, change=half_written)

    assert list(PlanResult.objects.filter(plan=plan).values_list("pk", "title")) == results_before
    assert Plan.objects.get(pk=plan.pk).review_comment == ""
    assert trace(plan) == before


def test_a_plan_edit_refused_by_validation_keeps_the_plan_as_it_was(org, cycle):
    plan, owner, _name = draft_plan(org, cycle)
    results_before = list(PlanResult.objects.filter(plan=plan).values_list("pk", "title"))
    before = trace(plan)
    foreign = PlanResult.objects.exclude(plan=plan).first()

    with pytest.raises(ValidationError) as refused:
        plan_update_content(plan=plan, actor=owner, results=[result_body("Baru"), result_body("Asing", id=foreign.pk)])

    assert "results[1].id" in refused.value.message_dict
    assert list(PlanResult.objects.filter(plan=plan).values_list("pk", "title")) == results_before
    assert trace(plan) == before


def test_an_edit_that_finds_nothing_to_change_writes_nothing(org, cycle):
    plan, owner, _name = draft_plan(org, cycle)
    before = trace(plan)

    result = edit(plan, "edit", actor=owner, change=Recorder(UNCHANGED))

    assert result.event is None
    assert trace(plan) == before


def test_starting_an_evaluation_again_finds_nothing_to_change_and_writes_nothing(org, cycle):
    approve_all_plans(cycle)
    evaluation_start(cycle=cycle, period="annual", actor=org.hr)
    before = (trace(cycle), AuditEvent.objects.count(), OpenTask.objects.count())

    _evaluation, reviews, assessments = evaluation_start(cycle=cycle, period="annual", actor=org.hr)

    assert (reviews, assessments) == (0, 0)
    assert (trace(cycle), AuditEvent.objects.count(), OpenTask.objects.count()) == before


def test_evidence_added_by_an_edit_is_recorded_once_on_the_report(org, cycle):
    report, owner, _name = open_report(org, cycle)
    evidence = evidence_add(report=report, actor=owner, url="https://arsip.example.test/notulen", name="Notulen")
    event = events_of(report).get(action="add_evidence")
    assert event.data == {"evidence": evidence.pk, "kind": "link", "name": "Notulen", "size": 0}
    assert MonthlyReport.objects.get(pk=report.pk).version == report.version + 1


# start_many -----------------------------------------------------------------------------------


def test_start_many_gives_each_plan_of_an_opened_cycle_its_first_event_task_and_notice(org, cycle):
    plans = list(Plan.objects.filter(cycle=cycle).select_related("employee"))
    assert len(plans) == 6
    for plan in plans:
        (event,) = events_of(plan)
        assert (event.seq, event.action, event.from_state, event.to_state, event.actor_id, event.prev_hash) == (
            1, "create", "", "draft", None, "")
        assert event.data == {"cycle": cycle.pk}
        (task,) = tasks_of(plan)
        assert (task.role, task.actions, task.assignee_id, task.unit_id, task.closed_at) == (
            "employee", ["submit"], plan.employee.user_id, plan.unit_id, None)
        assert task.due_at is not None and task.remind_at < task.due_at < task.escalate_at
        assert list(Notification.objects.filter(document_type="plan", document_id=plan.pk).values_list("recipient_id", "event")) == [
            (plan.employee.user_id, "cycle.opened")]


@pytest.fixture
def approved_plans(org):
    """53 approved plans (the org's 6 people and 47 more staff) of another cycle, ready for reports."""
    add_staff(org, 47)
    other = open_cycle(org, year=2027)
    approve_all_plans(other)
    return list(Plan.objects.filter(cycle=other).select_related("cycle", "member", "member__employee", "member__rater")
                .order_by("pk"))


def test_start_many_gives_each_report_one_create_event_and_the_employees_task(approved_plans):
    reports = reports_create(approved_plans[:5], 1)
    assert len(reports) == 5
    for report in reports:
        (event,) = events_of(report)
        assert (event.seq, event.action, event.to_state, event.data) == (1, "create", "open", {"month": 1})
        (task,) = tasks_of(report)
        assert (task.role, task.actions, task.assignee_id, task.due_at) == (
            "employee", ["submit"], report.member.employee.user_id, report.due_at)
    assert reports_create(approved_plans[:5], 1) == []  # run again, nothing more
    assert AuditEvent.objects.filter(document_type="report").count() == 5


def test_start_many_costs_the_same_queries_for_5_documents_as_for_48(approved_plans, django_assert_max_num_queries):
    with CaptureQueriesContext(connection) as five:
        assert len(reports_create(approved_plans[:5], 1)) == 5
    with django_assert_max_num_queries(len(five)), CaptureQueriesContext(connection) as many:
        assert len(reports_create(approved_plans[5:], 1)) == 48
    assert len(many) == len(five) <= 8
    assert OpenTask.objects.filter(document_type="report").count() == AuditEvent.objects.filter(document_type="report").count() == 53
