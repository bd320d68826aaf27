"""The deadline sweep: a reminder before the due day, another on it, an escalation after it; each
once however often the sweep runs, audited as the system's, in Asia/Jakarta days."""

import datetime
import zoneinfo

import pytest
import time_machine

from workflow.deadlines import sweep
from workflow.engine import perform
from workflow.models import AuditEvent, OpenTask

from ..api.helpers import JAKARTA, notice_to, notices_about, open_reports, realise, submitted_plan
from ..conftest import plan_of

pytestmark = pytest.mark.django_db

UTC = zoneinfo.ZoneInfo("UTC")
SUBMITTED = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=JAKARTA)  # a Monday
# The default rules: 5 days to review, reminded 3 days before, escalated 3 days after.
DUE = datetime.datetime(2026, 3, 7, 23, 59, 59, tzinfo=JAKARTA)
REMIND = datetime.datetime(2026, 3, 4, 23, 59, 59, tzinfo=JAKARTA)
ESCALATE = datetime.datetime(2026, 3, 10, 23, 59, 59, tzinfo=JAKARTA)
DUE_DAY_STARTS = datetime.datetime(2026, 3, 6, 17, 0, tzinfo=UTC)  # 00:00 WIB on 7 March
SECOND = datetime.timedelta(seconds=1)
TASK_EVENTS = ("task.reminder", "task.due_today", "task.escalated")


@pytest.fixture
def review(org, cycle, approved_chain):
    """The employee's plan, submitted on Monday 2 March 2026 at 09:00 WIB: kabid reviews it."""
    with time_machine.travel(SUBMITTED, tick=False):
        return submitted_plan(org, cycle, approved_chain)


def task_of(plan, role: str = "rater") -> OpenTask:
    return OpenTask.objects.get(document_type="plan", document_id=plan.pk, role=role)


def task_notices(plan) -> list[tuple[int, str]]:
    return [(recipient, event) for recipient, event in notices_about(plan) if event in TASK_EVENTS]


def system_audit(plan) -> list[tuple[str, int | None]]:
    return list(
        AuditEvent.objects.filter(document_type="plan", document_id=plan.pk, action__in=["remind", "remind_due", "escalate"])
        .order_by("seq").values_list("action", "actor_id")
    )


def sweep_at(*moments) -> None:
    for moment in moments:
        sweep(now=moment)


def set_rules(cycle, **changes) -> None:
    rules = cycle.rules
    for key, value in changes.items():
        if key == "holidays":
            rules["objection_window"]["holidays"] = value
        else:
            rules[key] = value
    type(cycle).objects.filter(pk=cycle.pk).update(rules=rules)


def test_the_raters_task_is_due_at_the_end_of_the_review_period_in_jakarta(review):
    task = task_of(review)
    assert (task.due_at, task.remind_at, task.escalate_at) == (DUE, REMIND, ESCALATE)
    assert task.due_at == datetime.datetime(2026, 3, 7, 16, 59, 59, tzinfo=UTC)


def test_the_rater_is_reminded_once_from_the_reminder_time(org, review):
    sweep_at(REMIND - SECOND)
    assert task_notices(review) == []
    sweep_at(REMIND, REMIND, REMIND + datetime.timedelta(hours=12))
    assert task_notices(review) == [(org.kabid.user_id, "task.reminder")]
    assert system_audit(review) == [("remind", None)]
    reminder = notice_to(org.kabid.user, "task.reminder", review)
    assert (reminder.data["due"], reminder.data["actions"]) == ("2026-03-07", "approve, return")


def test_the_due_day_reminder_comes_from_midnight_jakarta_once(org, review):
    sweep_at(DUE_DAY_STARTS - SECOND)  # 23:59:59 WIB on 6 March
    assert (org.kabid.user_id, "task.due_today") not in task_notices(review)
    sweep_at(DUE_DAY_STARTS, DUE_DAY_STARTS, DUE - SECOND)
    assert [n for n in task_notices(review) if n[1] == "task.due_today"] == [(org.kabid.user_id, "task.due_today")]
    assert ("remind_due", None) in system_audit(review)


def test_an_overdue_raters_task_is_escalated_once_to_the_raters_superior(org, review):
    sweep_at(ESCALATE - SECOND)
    assert "task.escalated" not in [event for _recipient, event in task_notices(review)]
    sweep_at(ESCALATE, ESCALATE, ESCALATE + datetime.timedelta(days=30))
    assert [n for n in task_notices(review) if n[1] == "task.escalated"] == [(org.kepala.user_id, "task.escalated")]
    escalation = AuditEvent.objects.get(document_type="plan", document_id=review.pk, action="escalate")
    assert escalation.actor_id is None and escalation.data["notified"] == [org.kepala.user_id]
    assert notice_to(org.kepala.user, "task.escalated", review).data["assignee"] == "kabid"


def test_an_overdue_employees_task_is_escalated_to_the_rater(org, cycle):
    draft = plan_of(cycle, org.colleague)  # the plan deadline, 31 January 2026, passed unsubmitted
    assert task_of(draft, "employee").escalate_at == datetime.datetime(2026, 2, 3, 23, 59, 59, tzinfo=JAKARTA)
    sweep_at(datetime.datetime(2026, 2, 4, 0, 0, tzinfo=JAKARTA))
    assert [n for n in task_notices(draft) if n[1] == "task.escalated"] == [(org.kabid.user_id, "task.escalated")]


def test_sweeping_again_and_again_sends_each_kind_once_and_audits_each_as_the_systems(org, review):
    moments = [REMIND, DUE_DAY_STARTS, ESCALATE, ESCALATE + datetime.timedelta(days=7)]
    sweep_at(*moments, *moments)
    assert task_notices(review) == [
        (org.kabid.user_id, "task.reminder"), (org.kabid.user_id, "task.due_today"), (org.kepala.user_id, "task.escalated"),
    ]
    assert system_audit(review) == [("remind", None), ("remind_due", None), ("escalate", None)]
    assert AuditEvent.objects.filter(document_type="plan", document_id=review.pk).order_by("-seq").first().to_state == "submitted"


def test_a_task_closed_before_its_times_gets_no_reminder_nor_escalation(org, review):
    with time_machine.travel(SUBMITTED + datetime.timedelta(days=1), tick=False):
        perform(review, "approve", actor=org.kabid.user)
    sweep_at(REMIND, DUE_DAY_STARTS, ESCALATE)
    assert task_notices(review) == []
    assert system_audit(review) == []


# Working days -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day_kind", "holidays", "due_day"),
    [
        ("calendar", [], datetime.date(2026, 3, 8)),  # Sunday
        ("working", [], datetime.date(2026, 3, 10)),  # Tuesday: the weekend does not count
        ("working", ["2026-03-09"], datetime.date(2026, 3, 11)),  # Wednesday: nor does a holiday
    ],
    ids=["calendar", "working", "working-over-a-holiday"],
)
def test_a_plan_submitted_on_a_friday_is_due_by_the_rules_day_kind(org, cycle, approved_chain, day_kind, holidays, due_day):
    set_rules(cycle, deadline_day_kind=day_kind, plan_review_days=2, holidays=holidays)
    with time_machine.travel(datetime.datetime(2026, 3, 6, 10, 0, tzinfo=JAKARTA), tick=False):  # a Friday
        plan = submitted_plan(org, cycle, approved_chain)
    due = datetime.datetime.combine(due_day, datetime.time(23, 59, 59), tzinfo=JAKARTA)
    assert task_of(plan).due_at == due
    assert task_of(plan).escalate_at == due + datetime.timedelta(days=3)


# Every open task ---------------------------------------------------------------------------------


def test_a_monthly_reports_review_task_has_remind_and_escalate_times_from_the_rules(org, cycle):
    report = open_reports(cycle)[org.employee.pk]
    realise(report)
    perform(report, "submit", actor=org.employee.user)
    task = OpenTask.objects.pending().get(document_type="report", document_id=report.pk, role="rater")
    assert task.remind_at == task.due_at - datetime.timedelta(days=cycle.rules["remind_days_before"])
    assert task.escalate_at == task.due_at + datetime.timedelta(days=cycle.rules["escalate_days_after"])
