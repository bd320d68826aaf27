"""The demo seed: an agency with two divisions, its users and an open cycle; idempotent."""

from __future__ import annotations

import datetime
import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Notification
from org.models import Employee, Position, RoleAssignment, Unit
from processes.models import Cycle, CycleMember, CycleRole, Plan
from workflow.models import AuditEvent, OpenTask

pytestmark = pytest.mark.django_db
User = get_user_model()

STAFF = ["staf.a1", "staf.a2", "staf.a3", "staf.b1", "staf.b2", "staf.b3"]
FORUM = ["forum.1", "forum.2", "forum.3"]
DEMO_USERS = ["admin", "hr", "walikota", "sekda", "kepala", "kabid.a", "kabid.b", *STAFF, *FORUM]


def seed(capture) -> str:
    """Run the command; the cycle's plans are created by a task queued on commit, run here."""
    out = io.StringIO()
    with capture(execute=True):
        call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(django_capture_on_commit_callbacks) -> Cycle:
    seed(django_capture_on_commit_callbacks)
    return Cycle.objects.get(year=timezone.localdate().year)


def employee(username: str) -> Employee:
    return Employee.objects.get(user__username=username)


def member(cycle: Cycle, username: str) -> CycleMember:
    return CycleMember.objects.select_related("rater__user", "raters_superior__user").get(
        cycle=cycle, employee__user__username=username
    )


def counts() -> dict[str, int]:
    models = (User, Employee, Unit, Position, RoleAssignment, Cycle, CycleRole, CycleMember, Plan, AuditEvent,
              OpenTask, Notification)
    return {model.__name__: model.objects.count() for model in models}


def test_running_the_seed_twice_creates_nothing_new(demo, django_capture_on_commit_callbacks):
    before = counts()
    passwords = dict(User.objects.values_list("username", "password"))
    out = seed(django_capture_on_commit_callbacks)
    assert counts() == before
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert f"cycle “Kinerja BKPSDM {demo.year}” is open, 9 plans" in out


def test_every_demo_user_from_the_organisation_can_log_in_with_the_demo_password(demo):
    assert set(User.objects.values_list("username", flat=True)) == set(DEMO_USERS)
    for username in DEMO_USERS[1:]:
        assert authenticate(username=username, password="demo12345") is not None, username
    assert authenticate(username="staf.a1", password="wrong-password") is None


def test_the_demo_admin_can_log_in_with_the_demo_password(demo):
    assert authenticate(username="admin", password="demo12345") is not None


def test_only_admin_is_a_superuser(demo):
    assert list(User.objects.filter(is_superuser=True).values_list("username", flat=True)) == ["admin"]
    assert not Employee.objects.filter(user__username="admin").exists()


def test_the_organisation_is_a_city_with_the_agency_and_two_divisions(demo):
    assert dict(Unit.objects.values_list("code", "path")) == {
        "PEMKOT": "/PEMKOT/", "SETDA": "/PEMKOT/SETDA/", "BKPSDM": "/PEMKOT/BKPSDM/",
        "BID-MUTASI": "/PEMKOT/BKPSDM/BID-MUTASI/", "BID-BANGKOM": "/PEMKOT/BKPSDM/BID-BANGKOM/",
    }
    assert employee("staf.a1").position.unit.code == "BID-MUTASI"
    assert employee("staf.b3").position.unit.code == "BID-BANGKOM"


def test_the_cycle_of_this_year_is_open_with_every_plan_in_draft(demo):
    assert demo.status == Cycle.Status.OPEN
    assert demo.year == timezone.localdate().year
    assert list(demo.units.values_list("code", flat=True)) == ["BKPSDM"]
    assert demo.plans.count() == 9
    assert set(demo.plans.values_list("status", flat=True)) == {Plan.Status.DRAFT}


def test_the_plans_are_those_of_the_agency_head_the_division_heads_and_the_staff(demo):
    owners = set(demo.plans.values_list("employee__user__username", flat=True))
    assert owners == {"kepala", "kabid.a", "kabid.b", *STAFF}


def test_each_plan_waits_on_its_employee(demo):
    for plan in demo.plans.select_related("employee"):
        task = OpenTask.objects.pending().get(document_type="plan", document_id=plan.pk)
        assert task.assignee_id == plan.employee.user_id and task.actions == ["submit"]


def test_the_division_head_rates_the_division_staff(demo):
    line = member(demo, "staf.a1")
    assert line.rater.user.username == "kabid.a"
    assert line.raters_superior.user.username == "kepala"
    assert member(demo, "staf.b2").rater.user.username == "kabid.b"


def test_the_agency_head_is_rated_by_the_regional_secretary(demo):
    line = member(demo, "kepala")
    assert line.rater.user.username == "sekda"
    assert line.raters_superior.user.username == "walikota"  # the mayor decides the agency head's objection
    assert demo.deciding_official.user.username == "walikota"
    assert member(demo, "kabid.a").raters_superior.user.username == "sekda"


def test_sekda_ratifies_and_three_officials_form_the_review_forum(demo):
    ratifying = CycleRole.objects.filter(cycle=demo, role=CycleRole.Role.RATIFYING_OFFICIAL)
    assert list(ratifying.values_list("user__username", "unit")) == [("sekda", None)]
    forum = CycleRole.objects.filter(cycle=demo, role=CycleRole.Role.FORUM_MEMBER)
    assert set(forum.values_list("user__username", flat=True)) == set(FORUM)
    for username in FORUM:
        assert set(forum.filter(user__username=username).values_list("unit__code", flat=True)) == {
            "BKPSDM", "BID-MUTASI", "BID-BANGKOM"
        }


def test_hr_administers_the_agency(demo):
    assert list(RoleAssignment.objects.values_list("user__username", "role", "unit__code")) == [
        ("hr", RoleAssignment.Role.HR, "BKPSDM")
    ]


def test_the_audit_trail_verifies_after_seeding(demo):
    assert AuditEvent.objects.filter(document_type="cycle", document_id=demo.pk).count() >= 3
    assert AuditEvent.objects.filter(document_type="plan").count() == 9
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert f"All {AuditEvent.objects.count()} audit events verified." in out.getvalue()


def test_the_demo_people_carry_rank_kind_of_position_employment_type_and_contracts(demo):
    from org.ranks import grade_fits

    people = Employee.objects.exclude(user__username="walikota").select_related("position")
    assert all(person.grade and grade_fits(person.employment_type, person.grade) for person in people)
    assert all(person.position_start for person in people)
    assert employee("kabid.a").get_grade_label() == "Pembina, IV/a" and employee("kabid.a").position.kind == "structural"
    assert (employee("staf.a1").position.kind, employee("staf.a1").position.functional_level) == ("functional", "ahli_pertama")
    assert employee("staf.b2").employment_type == Employee.EmploymentType.CPNS
    pppk = {person.user.username: person for person in Employee.objects.filter(employment_type="pppk").select_related("user")}
    assert set(pppk) == {"staf.a3", "staf.b3"}
    assert pppk["staf.b3"].contract_end == datetime.date(demo.year, 12, 31)  # shows among the contracts ending this year
    assert all(person.contract_start < person.contract_end for person in pppk.values())
    # Their plans still cover the whole year: the contracts reach past it.
    assert {(p.start, p.end) for p in demo.plans.filter(employee__in=pppk.values())} == {
        (datetime.date(demo.year, 1, 1), datetime.date(demo.year, 12, 31))}
