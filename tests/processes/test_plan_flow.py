"""The plan (SKP) through the engine: each action by the right and the wrong actor."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from notifications.models import Notification
from processes.models import Plan, PlanVersion
from workflow.engine import perform
from workflow.errors import InvalidTransition, NotPermitted
from workflow.models import AuditEvent, OpenTask

from ..conftest import fill_plan, plan_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """These tests read the guards' messages in English (Indonesian is the default)."""
    with translation.override("en"):
        yield


def test_opening_a_cycle_gives_each_employee_in_scope_a_draft_plan_and_a_task(org, cycle):
    plans = Plan.objects.filter(cycle=cycle)
    assert {p.employee_id for p in plans} == {
        org.kepala.pk, org.kabid.pk, org.employee.pk, org.colleague.pk, org.other_kabid.pk, org.other_employee.pk
    }
    assert all(p.status == Plan.Status.DRAFT for p in plans)
    task = OpenTask.objects.pending().get(document_type="plan", document_id=plan_of(cycle, org.employee).pk)
    assert task.assignee == org.employee.user and task.actions == ["submit"]


def test_employee_submits_a_plan_once_the_raters_plan_is_approved(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    result = perform(plan, "submit", actor=org.employee.user, comment="Mohon persetujuan")
    assert result.document.status == Plan.Status.SUBMITTED
    assert result.event.from_state == "draft" and result.event.to_state == "submitted"
    task = OpenTask.objects.pending().get(document_type="plan", document_id=plan.pk)
    assert task.assignee == org.kabid.user and task.actions == ["approve", "return"]
    assert Notification.objects.filter(recipient=org.kabid.user, event="plan.submitted").exists()


def test_rater_cannot_approve_a_plan_of_another_unit(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    perform(plan, "submit", actor=org.employee.user)
    with pytest.raises(NotPermitted):
        perform(plan, "approve", actor=org.other_kabid.user)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.SUBMITTED


def test_a_plan_cannot_be_submitted_before_the_raters_plan_is_approved(org, cycle):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan)
    with pytest.raises(InvalidTransition) as error:
        perform(plan, "submit", actor=org.employee.user)
    assert "not approved yet" in str(error.value.message)
    assert AuditEvent.objects.filter(document_type="plan", document_id=plan.pk).count() == 1


def test_approval_keeps_the_approved_version(org, cycle, approved_chain):
    kabid_plan = approved_chain["kabid_plan"]
    version = PlanVersion.objects.get(plan=kabid_plan, revision=1)
    assert version.content["results"][0]["title"] == approved_chain["kabid_result"].title


def test_the_top_of_the_hierarchy_submits_without_cascading(org, cycle):
    """kepala's rater (sekda) is outside the cycle's scope: results cascade from the agency's
    performance agreement instead, so no rater's result is required."""
    plan = plan_of(cycle, org.kepala)
    fill_plan(plan)
    assert perform(plan, "submit", actor=org.kepala.user).document.status == Plan.Status.SUBMITTED


def test_a_result_must_support_an_approved_result_of_the_raters_plan(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=None)
    with pytest.raises(InvalidTransition) as error:
        perform(plan, "submit", actor=org.employee.user)
    assert "supports" in error.value.message


def test_supporting_another_raters_result_is_refused(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kepala_result"])  # kepala is not this employee's rater
    with pytest.raises(InvalidTransition):
        perform(plan, "submit", actor=org.employee.user)


def test_a_returned_plan_is_revised_and_resubmitted_until_approved(org, cycle, approved_chain):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    for round_ in range(2):
        perform(plan, "submit", actor=org.employee.user)
        returned = perform(plan, "return", actor=org.kabid.user, comment=f"Perbaikan ke-{round_ + 1}").document
        assert returned.status == Plan.Status.RETURNED and returned.review_comment == f"Perbaikan ke-{round_ + 1}"
    perform(plan, "submit", actor=org.employee.user)
    approved = perform(plan, "approve", actor=org.kabid.user).document
    assert approved.status == Plan.Status.APPROVED and approved.revision == 1
    actions = list(AuditEvent.objects.filter(document_type="plan", document_id=plan.pk).values_list("action", flat=True))
    assert actions == ["create", "submit", "return", "submit", "return", "submit", "approve"]


def test_amending_an_approved_plan_keeps_the_approved_version_and_the_supported_results(org, cycle, approved_chain):
    kabid_plan = approved_chain["kabid_plan"]
    kabid_result = approved_chain["kabid_result"]
    staff_plan = plan_of(cycle, org.employee)
    fill_plan(staff_plan, supports=kabid_result)
    perform(staff_plan, "submit", actor=org.employee.user)
    perform(staff_plan, "approve", actor=org.kabid.user)

    with pytest.raises(ValidationError):
        perform(kabid_plan, "amend", actor=org.kabid.user)  # a reason is required
    amended = perform(kabid_plan, "amend", actor=org.kabid.user, comment="Penyesuaian anggaran").document
    assert amended.status == Plan.Status.DRAFT and amended.revision == 1

    from processes.services.plans import plan_update_content

    plan_update_content(
        plan=kabid_plan, actor=org.kabid.user,
        results=[
            {"id": kabid_result.pk, "title": "Hasil diperbarui", "kind": "main", "supports": kabid_result.supports_id,
             "indicators": [{"description": "Baru", "target": "10", "aspect": "quantity"}]},
            {"title": "Hasil tambahan", "kind": "additional", "supports": approved_chain["kepala_result"].pk,
             "indicators": [{"description": "Tambahan", "target": "2", "aspect": "time"}]},
        ],
    )
    perform(kabid_plan, "submit", actor=org.kabid.user)
    perform(kabid_plan, "approve", actor=org.kepala.user)
    kabid_plan.refresh_from_db()
    assert kabid_plan.revision == 2
    versions = list(PlanVersion.objects.filter(plan=kabid_plan).order_by("revision"))
    assert [v.revision for v in versions] == [1, 2]
    assert versions[0].content["results"][0]["title"] == kabid_result.title
    assert {r["title"] for r in versions[1].content["results"]} == {"Hasil diperbarui", "Hasil tambahan"}
    staff_result = staff_plan.results.get()
    assert staff_result.supports_id == kabid_result.pk  # the subordinate's link survived the amendment


def test_a_result_that_subordinates_support_cannot_be_removed(org, cycle, approved_chain):
    from django.core.exceptions import ValidationError

    from processes.services.plans import plan_update_content

    kabid_plan = approved_chain["kabid_plan"]
    staff_plan = plan_of(cycle, org.employee)
    fill_plan(staff_plan, supports=approved_chain["kabid_result"])
    perform(kabid_plan, "amend", actor=org.kabid.user, comment="Revisi")
    with pytest.raises(ValidationError) as error:
        plan_update_content(plan=kabid_plan, actor=org.kabid.user, results=[])
    assert "supported by your subordinates" in str(error.value)
    assert kabid_plan.results.count() == 1


@pytest.mark.parametrize(
    "action, status, allowed, refused",
    [
        ("submit", "draft", "employee", ["kabid", "colleague", "hr", "kepala"]),
        ("approve", "submitted", "kabid", ["employee", "colleague", "other_kabid", "hr", "kepala"]),
        ("return", "submitted", "kabid", ["employee", "colleague", "other_kabid", "hr"]),
        ("amend", "approved", "employee", ["kabid", "colleague", "hr"]),
    ],
)
def test_each_plan_action_is_taken_by_its_role_only(org, cycle, approved_chain, action, status, allowed, refused):
    plan = plan_of(cycle, org.employee)
    fill_plan(plan, supports=approved_chain["kabid_result"])
    if status in ("submitted", "approved"):
        perform(plan, "submit", actor=org.employee.user)
    if status == "approved":
        perform(plan, "approve", actor=org.kabid.user)

    def user(name):
        return org.hr if name == "hr" else getattr(org, name).user

    for name in refused:
        with pytest.raises(NotPermitted):
            perform(plan, action, actor=user(name), comment="alasan")
    assert perform(plan, action, actor=user(allowed), comment="alasan").event.actor == user(allowed)


def test_the_system_actor_cannot_take_a_human_action(org, cycle):
    plan = plan_of(cycle, org.kepala)
    fill_plan(plan)
    with pytest.raises(NotPermitted):
        perform(plan, "submit", actor=None)
