"""Tasks keep their deadlines: a transition or edit that leaves a task with the same assignee and
actions keeps that task's row (id, due, remind and escalate times, reminders already sent); only
the tasks that really change are closed and opened (docs/engine.md, step 7)."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from notifications.models import Notification
from processes.models import Assessment, Objection, Plan, UnitReview
from processes.services.objections import objection_explain, objection_file
from processes.services.plans import plan_update_content
from processes.services.reports import evidence_add, report_update_realisations
from processes.services.scoring import unit_review_adjust, unit_review_set_predicate
from workflow.deadlines import sweep
from workflow.engine import perform
from workflow.models import AuditEvent, OpenTask

from ..api.helpers import indicator_of, open_reports, result_body
from ..conftest import fill_plan, plan_of
from ..lifecycle import approve_all_plans, issue_unit, rate_all, rate_and_submit, set_unit_predicates, start_evaluation

pytestmark = pytest.mark.django_db
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
KEPT = ("id", "role", "assignee_id", "position_id", "due_at", "remind_at", "escalate_at", "created_at", "reminded_at",
        "due_reminded_at", "escalated_at", "closed_at")


def at(month: int, day: int, hour: int = 10):
    return time_machine.travel(datetime.datetime(2026, month, day, hour, 0, tzinfo=JAKARTA), tick=False)


def tasks_of(document, **filters):
    return OpenTask.objects.filter(document_type=document.document_type, document_id=document.pk, **filters).order_by("id")


def open_task(document, role: str) -> OpenTask:
    return tasks_of(document, role=role, closed_at__isnull=True).get()


def snapshot(task: OpenTask) -> dict:
    task.refresh_from_db()
    return {name: getattr(task, name) for name in KEPT}


@pytest.fixture
def issued(org, cycle):
    """The employee's result issued on Monday 2 March 2026."""
    with at(3, 2):
        approve_all_plans(cycle)
        evaluation = start_evaluation(cycle, org.hr)
        set_unit_predicates(evaluation, "good")
        rate_all(evaluation, {org.employee.pk: ("below", "as_expected")})
        issue_unit(UnitReview.objects.get(evaluation=evaluation, unit=org.division), org.forum_member)
    return Assessment.objects.get(evaluation=evaluation, employee=org.employee)


@pytest.fixture
def objection(org, issued):
    """Filed on 3 March: the superior's decision is due 17 March (14 days), reminded from 14 March."""
    with at(3, 3):
        return objection_file(assessment=issued, actor=org.employee.user, reasons="Capaian saya melebihi target")


# The objection's decide task ----------------------------------------------------------------


def test_the_superiors_decide_task_survives_both_explanations_days_apart(org, objection):
    decide = open_task(objection, "raters_superior")
    filed = snapshot(decide)
    assert (filed["due_at"].astimezone(JAKARTA).date(), filed["assignee_id"]) == (datetime.date(2026, 3, 17), org.kepala.user.pk)

    with at(3, 5):
        objection_explain(objection=objection, actor=org.kabid.user, explanation="Penjelasan penilai")
    assert snapshot(decide) == filed
    with at(3, 9):
        objection_explain(objection=objection, actor=org.employee.user, explanation="Penjelasan pegawai")
    objection.refresh_from_db()

    assert objection.status == Objection.Status.AWAITING_DECISION
    assert snapshot(decide) == filed  # not due 23 March, as a rebuilt task would be
    assert list(tasks_of(objection, closed_at__isnull=True).values_list("id", flat=True)) == [decide.pk]


def test_an_explanation_closes_only_the_explainers_own_task(org, objection):
    rater_task, employee_task = open_task(objection, "rater"), open_task(objection, "employee")
    employee_before = snapshot(employee_task)
    with at(3, 5):
        objection_explain(objection=objection, actor=org.kabid.user, explanation="Penjelasan penilai")

    rater_task.refresh_from_db()
    assert rater_task.closed_at is not None
    assert snapshot(employee_task) == employee_before and employee_task.closed_at is None


def test_a_reminder_already_sent_is_not_sent_again_after_an_unrelated_transition(org, objection):
    decide = open_task(objection, "raters_superior")
    with at(3, 15):
        sweep()
        reminded = snapshot(decide)
        assert reminded["reminded_at"] is not None
        objection_explain(objection=objection, actor=org.kabid.user, explanation="Penjelasan penilai")
        assert snapshot(decide) == reminded
        sweep()

    remind_events = [e for e in AuditEvent.objects.filter(document_type="objection", document_id=objection.pk, action="remind")
                     if e.data["task"] == decide.pk]
    assert len(remind_events) == 1
    assert Notification.objects.filter(recipient=org.kepala.user, event="task.reminder", document_id=objection.pk).count() == 1


# Edits keep the owner's task --------------------------------------------------------------------


def test_editing_an_amended_plan_days_later_keeps_the_employees_submit_task_and_its_due_date(org, cycle):
    with at(1, 10):
        approve_all_plans(cycle)
    plan = plan_of(cycle, org.employee)
    supports = Plan.objects.get(cycle=cycle, employee=org.kabid).results.get().pk
    with at(6, 1):
        perform(plan, "amend", actor=org.employee.user, comment="Target berubah")
    submit = open_task(plan, "employee")
    amended = snapshot(submit)
    assert amended["due_at"].astimezone(JAKARTA).date() == datetime.date(2026, 6, 6)  # 1 June + 5 review days

    with at(6, 4):
        plan_update_content(plan=plan, actor=org.employee.user, results=[result_body("Hasil kerja baru", supports=supports)])
    assert snapshot(submit) == amended  # not due 9 June


def test_editing_a_report_and_adding_evidence_keep_the_employees_submit_task(org, cycle):
    with at(2, 1):
        report = open_reports(cycle, month=1)[org.employee.pk]
    submit = open_task(report, "employee")
    opened = snapshot(submit)
    with at(2, 3):
        report_update_realisations(report=report, actor=org.employee.user, items=[{"indicator": indicator_of(report).pk, "value": "1"}])
    with at(2, 6):
        evidence_add(report=report, actor=org.employee.user, url="https://arsip.example.test/notulen")
    assert snapshot(submit) == opened
    assert tasks_of(report).count() == 1  # nothing closed and reopened beside it


# The forum's tasks on a unit review -------------------------------------------------------------


@pytest.fixture
def scoring_review(org, cycle):
    with at(3, 2):
        approve_all_plans(cycle)
        evaluation = start_evaluation(cycle, org.hr)
        set_unit_predicates(evaluation, "good")
    return UnitReview.objects.get(evaluation=evaluation, unit=org.division)


def test_an_adjustment_keeps_the_forum_members_tasks(org, scoring_review):
    forum = open_task(scoring_review, "forum")
    before = snapshot(forum)
    assert before["assignee_id"] == org.forum_member.pk
    assessment = Assessment.objects.get(unit_review=scoring_review, employee=org.employee)
    with at(3, 4):
        rate_and_submit(assessment)
    with at(3, 6):
        unit_review_adjust(review=scoring_review, actor=org.forum_member, assessment_id=assessment.pk, results_rating="above",
                           behaviour_rating="above", reason="Kalibrasi pola distribusi")
    assert snapshot(forum) == before


def test_correcting_the_unit_predicate_keeps_the_forum_members_tasks(org, scoring_review):
    forum = open_task(scoring_review, "forum")
    before = snapshot(forum)
    with at(3, 9):
        unit_review_set_predicate(review=scoring_review, actor=org.kepala.user, unit_predicate="outstanding")
    scoring_review.refresh_from_db()
    assert scoring_review.unit_predicate == "outstanding"
    assert snapshot(forum) == before


# Tasks that really change are closed and opened ------------------------------------------------


def test_a_submit_closes_the_employees_task_and_opens_the_raters(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    employee_task = open_task(plan, "employee")
    perform(plan, "submit", actor=org.employee.user)

    employee_task.refresh_from_db()
    rater_task = open_task(plan, "rater")
    assert employee_task.closed_at is not None
    assert rater_task.pk != employee_task.pk
    assert (rater_task.assignee_id, rater_task.position_id, sorted(rater_task.actions)) == (
        org.kabid.user.pk, org.kabid.position_id, ["approve", "return"])
    assert list(tasks_of(plan, closed_at__isnull=True)) == [rater_task]


def test_a_return_closes_the_raters_task_and_opens_a_new_employee_task(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    first = open_task(plan, "employee")
    perform(plan, "submit", actor=org.employee.user)
    rater_task = open_task(plan, "rater")
    perform(plan, "return", actor=org.kabid.user, comment="Lengkapi target kualitas")

    rater_task.refresh_from_db()
    again = open_task(plan, "employee")
    assert rater_task.closed_at is not None
    assert again.pk not in (first.pk, rater_task.pk)  # a closed task is never reopened
