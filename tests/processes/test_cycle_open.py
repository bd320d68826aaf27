"""Opening a cycle: plans in bulk, in chunks, with progress; safe to re-run; HR only."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from processes.models import Cycle, CycleMember, Plan
from processes.services.cycles import cycle_create, cycle_open, cycle_populate, member_correct_reporting_line
from workflow.engine import perform
from workflow.errors import InvalidTransition, NotPermitted
from workflow.models import AuditEvent, OpenTask

from ..conftest import plan_of
from ..factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def new_cycle(org, **kwargs):
    return cycle_create(actor=org.hr, name="Kinerja", year=2026, units=[org.agency], plan_deadline=datetime.date(2026, 1, 31), **kwargs)


def test_opening_creates_one_plan_per_employee_in_chunks_with_progress(org, settings, django_capture_on_commit_callbacks):
    settings.KINERJA_BULK_CHUNK_SIZE = 4
    for _ in range(7):
        EmployeeFactory(position__unit=org.division, position__superior=org.kabid.position)
    cycle = new_cycle(org)
    with django_capture_on_commit_callbacks(execute=True):
        cycle_open(cycle=cycle, actor=org.hr)
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.OPEN and cycle.opened_at is not None
    assert cycle.opening_total == cycle.opening_done == 13  # 6 from the fixture organisation + 7
    assert Plan.objects.filter(cycle=cycle).count() == 13
    assert OpenTask.objects.pending().filter(document_type="plan", role="employee").count() == 13
    assert AuditEvent.objects.filter(document_type="plan", action="create").count() == 13


def test_employees_outside_the_scope_get_no_plan(org, cycle):
    assert not Plan.objects.filter(cycle=cycle, employee=org.sekda).exists()


def test_re_running_the_population_creates_no_duplicates(org, cycle):
    plans_before = Plan.objects.filter(cycle=cycle).count()
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.OPENING)  # as if a worker died before finishing
    cycle_populate(cycle.pk)
    cycle_populate(cycle.pk)
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.OPEN
    assert Plan.objects.filter(cycle=cycle).count() == plans_before
    assert CycleMember.objects.filter(cycle=cycle).count() == plans_before


def test_a_population_run_after_opening_does_nothing(org, cycle):
    events = AuditEvent.objects.count()
    cycle_populate(cycle.pk)
    assert AuditEvent.objects.count() == events


def test_opening_twice_is_refused(org, cycle):
    with pytest.raises(InvalidTransition):
        cycle_open(cycle=cycle, actor=org.hr)


def test_only_hr_of_the_scope_opens_a_cycle(org):
    cycle = new_cycle(org)
    for intruder in (org.kepala.user, org.employee.user, org.forum_member):
        with pytest.raises(NotPermitted):
            cycle_open(cycle=cycle, actor=intruder)
    cycle.refresh_from_db()
    assert cycle.status == Cycle.Status.DRAFT


def test_finishing_the_opening_is_for_the_system_only(org):
    cycle = new_cycle(org)
    Cycle.objects.filter(pk=cycle.pk).update(status=Cycle.Status.OPENING)
    with pytest.raises(NotPermitted):
        perform(cycle, "finish_opening", actor=org.hr)


def test_hr_outside_the_scope_cannot_create_a_cycle(org):
    from ..factories import RoleAssignmentFactory, UserFactory

    other_hr = UserFactory(username="other_hr")
    RoleAssignmentFactory(user=other_hr, unit=org.other_division)
    with pytest.raises(NotPermitted):
        cycle_create(actor=other_hr, name="X", year=2026, units=[org.agency], plan_deadline=datetime.date(2026, 1, 31))


def test_the_cycle_keeps_its_copy_of_the_rules(org):
    from processes.models import RuleSet
    from processes.rules import default_rules

    rule_set = RuleSet.objects.create(name="PermenPANRB 6/2022", data=default_rules(), is_default=True)
    cycle = new_cycle(org)
    rule_set.data["plan_review_days"] = 30
    rule_set.save()
    cycle.refresh_from_db()
    assert cycle.rules["plan_review_days"] == 5


def test_the_reporting_line_is_resolved_when_the_cycle_opens(org, cycle):
    member = CycleMember.objects.get(cycle=cycle, employee=org.employee)
    assert (member.rater, member.raters_superior) == (org.kabid, org.kepala)
    assert member.rater_position == org.kabid.position
    assert CycleMember.objects.get(cycle=cycle, employee=org.kepala).rater == org.sekda


def test_hr_corrects_a_wrong_rater_and_the_open_tasks_move(org, cycle, approved_chain):
    from ..conftest import fill_plan

    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    perform(plan, "submit", actor=org.employee.user)
    member = CycleMember.objects.get(cycle=cycle, employee=org.employee)
    member_correct_reporting_line(member=member, actor=org.hr, rater=org.other_kabid, raters_superior=org.kepala, reason="SK mutasi")
    task = OpenTask.objects.pending().get(document_type="plan", document_id=plan.pk)
    assert task.assignee == org.other_kabid.user and task.position == org.other_kabid.position
    perform(plan, "approve", actor=org.other_kabid.user)
    event = AuditEvent.objects.get(document_type="cycle_member", document_id=member.pk)
    assert event.action == "correct_reporting_line" and event.comment == "SK mutasi"
    assert event.data["before"]["rater"] == org.kabid.pk and event.data["after"]["rater"] == org.other_kabid.pk


def test_a_reporting_line_correction_needs_hr_and_a_reason(org, cycle):
    member = CycleMember.objects.get(cycle=cycle, employee=org.employee)
    with pytest.raises(NotPermitted):
        member_correct_reporting_line(member=member, actor=org.kabid.user, rater=org.other_kabid, raters_superior=None, reason="x")
    with pytest.raises(ValidationError):
        member_correct_reporting_line(member=member, actor=org.hr, rater=org.other_kabid, raters_superior=None, reason=" ")
    with pytest.raises(ValidationError):
        member_correct_reporting_line(member=member, actor=org.hr, rater=org.employee, raters_superior=None, reason="x")
