"""The engine's one transition path: each of its checks refuses what it must."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from notifications.models import Notification
from processes.models import Plan
from workflow.engine import perform
from workflow.errors import Conflict, InvalidTransition, NotPermitted
from workflow.models import AuditEvent, OpenTask
from workflow.signals import transition_committed

from ..conftest import fill_plan, plan_of
from ..factories import ActingAssignmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted_plan(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    return perform(plan, "submit", actor=org.employee.user).document


def events_of(plan):
    return list(AuditEvent.objects.filter(document_type="plan", document_id=plan.pk).order_by("seq"))


def test_an_action_not_possible_from_the_state_is_refused_with_the_allowed_actions(org, submitted_plan):
    with pytest.raises(InvalidTransition) as error:
        perform(submitted_plan, "submit", actor=org.employee.user)
    assert error.value.status == "submitted"
    assert error.value.allowed_actions == []  # the employee has nothing to do on a submitted plan
    with pytest.raises(InvalidTransition) as error:
        perform(submitted_plan, "amend", actor=org.kabid.user, comment="x")
    assert error.value.allowed_actions == ["approve", "return"]


def test_an_unknown_action_is_refused(org, submitted_plan):
    with pytest.raises(InvalidTransition):
        perform(submitted_plan, "delete_everything", actor=org.kabid.user)


def test_the_wrong_actor_is_refused_and_nothing_changes(org, submitted_plan):
    before = events_of(submitted_plan)
    for intruder in (org.employee.user, org.colleague.user, org.other_kabid.user, org.hr, org.kepala.user):
        with pytest.raises(NotPermitted):
            perform(submitted_plan, "approve", actor=intruder)
    submitted_plan.refresh_from_db()
    assert submitted_plan.status == Plan.Status.SUBMITTED
    assert events_of(submitted_plan) == before


def test_a_required_comment_is_enforced_before_anything_changes(org, submitted_plan):
    with pytest.raises(ValidationError) as error:
        perform(submitted_plan, "return", actor=org.kabid.user, comment="   ")
    assert "comment" in error.value.message_dict
    submitted_plan.refresh_from_db()
    assert submitted_plan.status == Plan.Status.SUBMITTED


def test_a_guard_that_fails_explains_itself_in_the_users_language(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    with translation.override("en"), pytest.raises(InvalidTransition) as error:
        perform(plan, "submit", actor=org.employee.user)
    assert "at least one result" in error.value.message
    with translation.override("id"), pytest.raises(InvalidTransition) as error:
        perform(plan, "submit", actor=org.employee.user)
    assert "at least one result" not in error.value.message and "RHK" in error.value.message
    assert error.value.allowed_actions == ["submit"]


def test_a_stale_version_is_a_conflict(org, submitted_plan):
    with pytest.raises(Conflict):
        perform(submitted_plan, "approve", actor=org.kabid.user, expected_version=submitted_plan.version - 1)
    perform(submitted_plan, "approve", actor=org.kabid.user, expected_version=submitted_plan.version)


def test_a_transition_bumps_the_version_audits_moves_tasks_and_notifies(org, submitted_plan):
    version = submitted_plan.version
    result = perform(submitted_plan, "return", actor=org.kabid.user, comment="Lengkapi target kualitas",
                     origin={"channel": "api", "ip": "10.0.0.1"})
    plan = result.document
    assert plan.status == Plan.Status.RETURNED and plan.version == version + 1
    event = events_of(plan)[-1]
    assert (event.action, event.from_state, event.to_state) == ("return", "submitted", "returned")
    assert event.actor == org.kabid.user and event.on_behalf_of is None
    assert event.comment == "Lengkapi target kualitas" and event.origin["ip"] == "10.0.0.1"
    pending = OpenTask.objects.pending().filter(document_type="plan", document_id=plan.pk)
    assert [(t.assignee_id, t.actions) for t in pending] == [(org.employee.user_id, ["submit"])]
    assert OpenTask.objects.filter(document_type="plan", document_id=plan.pk, role="rater", closed_at__isnull=False).exists()
    notice = Notification.objects.get(recipient=org.employee.user, event="plan.returned")
    assert notice.data["comment"] == "Lengkapi target kualitas"


def test_an_acting_official_acts_on_behalf_of_the_position_holder(org, submitted_plan):
    plh = org.colleague  # stands in for kabid while kabid is away
    ActingAssignmentFactory(employee=plh, position=org.kabid.position)
    result = perform(submitted_plan, "approve", actor=plh.user)
    assert result.event.actor == plh.user
    assert result.event.on_behalf_of == org.kabid.user


def test_an_expired_acting_assignment_gives_no_power(org, submitted_plan):
    import datetime

    ActingAssignmentFactory(
        employee=org.colleague, position=org.kabid.position,
        start=datetime.date(2020, 1, 1), end=datetime.date(2020, 2, 1),
    )
    with pytest.raises(NotPermitted):
        perform(submitted_plan, "approve", actor=org.colleague.user)


def test_side_effects_run_only_after_the_commit(org, submitted_plan, django_capture_on_commit_callbacks):
    received = []

    def receiver(**kwargs):
        received.append(kwargs["action"])

    transition_committed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            perform(submitted_plan, "approve", actor=org.kabid.user)
        assert received == []  # nothing sent inside the transaction
        for callback in callbacks:
            callback()
        assert received == ["approve"]
    finally:
        transition_committed.disconnect(receiver)


def test_a_failed_transition_leaves_no_trace(org, cycle):
    plan = plan_of(cycle, org.employee)
    tasks_before = OpenTask.objects.count()
    notifications_before = Notification.objects.count()
    with pytest.raises(InvalidTransition):
        perform(plan, "submit", actor=org.employee.user)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.DRAFT and plan.version == 1
    assert OpenTask.objects.count() == tasks_before and Notification.objects.count() == notifications_before


@pytest.mark.parametrize("action", ["submit", "approve"])
def test_a_plan_transition_costs_at_most_12_queries(org, cycle, approved_chain, action):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"], results=3)
    if action == "approve":
        perform(plan, "submit", actor=org.employee.user)
    actor = org.employee.user if action == "submit" else org.kabid.user
    actor = type(actor).objects.get(pk=actor.pk)  # a fresh user, as a request would have
    plan = Plan.objects.get(pk=plan.pk)
    with CaptureQueriesContext(connection) as queries:
        perform(plan, action, actor=actor)
    assert len(queries) <= 12, "\n".join(q["sql"] for q in queries.captured_queries)
