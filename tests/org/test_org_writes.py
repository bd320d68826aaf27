"""Organisation writes go through audited services: each change is one event on the record's own
chain with the changed fields before and after; only HR of the units concerned may make it; bad
input is refused field by field; moving a unit repaths its subtree; the admin writes nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from org.delegations import delegation_create, delegation_end
from org.importer import import_org
from org.models import ActingAssignment, Delegation, Position, RoleAssignment, Unit
from org.services import hr_scope_units, is_hr_for, units_within
from org.writes import (
    acting_create,
    acting_end,
    position_create,
    position_update,
    role_grant,
    role_revoke,
    unit_create,
    unit_deactivate,
    unit_move,
    unit_update,
)
from workflow.errors import InvalidTransition, NotPermitted
from workflow.models import AuditEvent

from ..factories import PositionFactory, RoleAssignmentFactory, UnitFactory, UserFactory
from .test_import_org import GOOD, csv_text

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def events_of(record) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(document_type=type(record).document_type, document_id=record.pk).order_by("seq"))


def the_event(record) -> AuditEvent:
    (event,) = events_of(record)
    return event


@pytest.fixture
def setda_hr(org):
    """HR of another agency (the regional secretariat)."""
    user = UserFactory(username="setda_hr")
    RoleAssignmentFactory(user=user, unit=Unit.objects.get(code="SETDA"))
    return user


@pytest.fixture
def subtree(org):
    """Three levels below the division: DIV-A > SUB-A > LEAF-A, with a position in the leaf."""
    sub = UnitFactory(code="SUB-A", name="Subbidang A", kind="section", parent=org.division)
    leaf = UnitFactory(code="LEAF-A", name="Seksi A", kind="section", parent=sub)
    PositionFactory(code="LEAF-POS", unit=leaf)
    return sub, leaf


# Units -----------------------------------------------------------------------------------------


def test_hr_creates_a_unit_below_a_unit_of_its_scope_with_one_event_recording_its_fields(org):
    unit = unit_create(actor=org.hr, code="DIV-C", name="Bidang C", kind="division", parent=org.division,
                       origin={"channel": "web"})
    assert unit.path == "/GOV/AGENCY/DIV-A/DIV-C/"
    event = the_event(unit)
    assert (event.action, event.actor_id, event.origin) == ("create", org.hr.pk, {"channel": "web"})
    assert event.data["changes"]["name"] == [None, "Bidang C"]
    assert event.data["changes"]["parent"] == [None, org.division.pk]
    assert event.data["changes"]["path"] == [None, "/GOV/AGENCY/DIV-A/DIV-C/"]


@pytest.mark.parametrize("who", ["employee", "other_agency_hr"])
def test_a_unit_is_created_only_by_hr_of_the_parent(org, setda_hr, who):
    actor = {"employee": org.employee.user, "other_agency_hr": setda_hr}[who]
    with pytest.raises(NotPermitted):
        unit_create(actor=actor, code="DIV-C", name="Bidang C", parent=org.agency)
    assert not Unit.objects.filter(code="DIV-C").exists()


def test_a_root_unit_is_the_superusers_alone(org):
    with pytest.raises(NotPermitted):
        unit_create(actor=org.hr, code="ROOT2", name="Pemerintah Lain", kind="government", parent=None)
    admin = UserFactory(username="root", is_superuser=True)
    assert unit_create(actor=admin, code="ROOT2", name="Pemerintah Lain", kind="government", parent=None).path == "/ROOT2/"


def test_a_unit_with_a_bad_code_no_name_and_an_unknown_kind_is_refused_field_by_field(org):
    with pytest.raises(ValidationError) as refused:
        unit_create(actor=org.hr, code="A/B", name="  ", kind="ministry", parent=org.agency)
    assert set(refused.value.message_dict) == {"code", "name", "kind"}
    with pytest.raises(ValidationError) as refused:
        unit_create(actor=org.hr, code="DIV-A", name="Bidang A lagi", parent=org.agency)
    assert set(refused.value.message_dict) == {"code"}
    assert not AuditEvent.objects.filter(document_type="unit").exists()


def test_renaming_a_unit_records_the_name_before_and_after_and_a_repeat_records_nothing(org):
    unit_update(actor=org.hr, unit=org.division, name="Bidang Anggaran")
    assert Unit.objects.get(pk=org.division.pk).name == "Bidang Anggaran"
    assert the_event(org.division).data == {"changes": {"name": ["Bidang A", "Bidang Anggaran"]}}
    unit_update(actor=org.hr, unit=org.division, name="Bidang Anggaran")
    assert len(events_of(org.division)) == 1


def test_renaming_a_unit_outside_ones_scope_is_refused(org, setda_hr):
    with pytest.raises(NotPermitted):
        unit_update(actor=setda_hr, unit=org.division, name="Bidang X")
    with pytest.raises(ValidationError) as refused:
        unit_update(actor=org.hr, unit=org.division, name="x" * 256)
    assert "name" in refused.value.message_dict


def test_moving_a_unit_repaths_its_three_level_subtree_in_one_update_with_one_event(org, subtree):
    sub, leaf = subtree
    with CaptureQueriesContext(connection) as queries:
        unit_move(actor=org.hr, unit=org.division, parent=org.other_division)
    unit_updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and '"org_unit"' in q["sql"]]
    assert len(unit_updates) == 2  # the parent link, then every path below in one statement
    paths = dict(Unit.objects.filter(code__in=["DIV-A", "SUB-A", "LEAF-A"]).values_list("code", "path"))
    assert paths == {"DIV-A": "/GOV/AGENCY/DIV-B/DIV-A/", "SUB-A": "/GOV/AGENCY/DIV-B/DIV-A/SUB-A/",
                     "LEAF-A": "/GOV/AGENCY/DIV-B/DIV-A/SUB-A/LEAF-A/"}
    assert Unit.objects.get(code="SETDA").path == "/GOV/SETDA/"  # the rest of the tree stays
    event = the_event(org.division)
    assert event.action == "move"
    assert event.data["changes"] == {"parent": [org.agency.pk, org.other_division.pk],
                                     "path": ["/GOV/AGENCY/DIV-A/", "/GOV/AGENCY/DIV-B/DIV-A/"]}
    assert event.data["descendants_moved"] == 2
    assert not events_of(sub) and not events_of(leaf)


def test_after_a_move_the_scope_queries_follow_the_subtree(org, subtree):
    sub, leaf = subtree
    division_b_hr = UserFactory(username="hr_b")
    RoleAssignmentFactory(user=division_b_hr, unit=org.other_division)
    assert not is_hr_for(division_b_hr, [Unit.objects.get(pk=leaf.pk)])
    unit_move(actor=org.hr, unit=org.division, parent=org.other_division)
    moved_leaf = Unit.objects.get(pk=leaf.pk)
    assert is_hr_for(division_b_hr, [moved_leaf])
    assert set(units_within([Unit.objects.get(pk=org.other_division.pk)])) == {
        org.other_division, org.division, sub, leaf}
    assert set(hr_scope_units(division_b_hr)) == {org.other_division, org.division, sub, leaf}


def test_a_unit_cannot_move_under_itself_or_its_own_descendant(org, subtree):
    sub, leaf = subtree
    for target in (org.division, leaf):
        with pytest.raises(ValidationError) as refused:
            unit_move(actor=org.hr, unit=org.division, parent=target)
        assert "parent" in refused.value.message_dict
    assert Unit.objects.get(pk=leaf.pk).path == "/GOV/AGENCY/DIV-A/SUB-A/LEAF-A/"
    assert not events_of(org.division)


def test_moving_a_unit_out_of_ones_scope_is_refused(org):
    with pytest.raises(NotPermitted):
        unit_move(actor=org.hr, unit=org.division, parent=Unit.objects.get(code="SETDA"))
    with pytest.raises(NotPermitted):
        unit_move(actor=org.employee.user, unit=org.division, parent=org.other_division)
    assert Unit.objects.get(pk=org.division.pk).parent_id == org.agency.pk


def test_a_unit_in_which_people_work_is_not_closed_an_empty_one_is_and_takes_no_new_position(org):
    with pytest.raises(ValidationError):
        unit_deactivate(actor=org.hr, unit=org.division)
    empty = UnitFactory(code="EMPTY", parent=org.agency)
    unit_deactivate(actor=org.hr, unit=empty)
    assert Unit.objects.get(pk=empty.pk).is_active is False
    assert the_event(empty).data == {"changes": {"is_active": [True, False]}}
    with pytest.raises(InvalidTransition):
        unit_deactivate(actor=org.hr, unit=empty)
    with pytest.raises(ValidationError) as refused:
        position_create(actor=org.hr, code="P-EMPTY", title="Staf", unit=Unit.objects.get(pk=empty.pk))
    assert "unit" in refused.value.message_dict


# Positions -------------------------------------------------------------------------------------


def test_hr_creates_a_position_whose_superior_lies_outside_its_scope(org):
    position = position_create(actor=org.hr, code="WAKIL", title="Wakil Kepala", unit=org.agency,
                               superior=org.sekda.position)
    changes = the_event(position).data["changes"]
    assert changes["unit"] == [None, org.agency.pk] and changes["superior"] == [None, org.sekda.position.pk]


def test_a_position_is_created_only_by_hr_of_its_unit_and_with_a_code_and_a_title(org, setda_hr):
    with pytest.raises(NotPermitted):
        position_create(actor=setda_hr, code="X1", title="Staf", unit=org.division)
    with pytest.raises(NotPermitted):
        position_create(actor=org.kabid.user, code="X1", title="Staf", unit=org.division)
    with pytest.raises(ValidationError) as refused:
        position_create(actor=org.hr, code="", title="", unit=org.division)
    assert set(refused.value.message_dict) == {"code", "title"}


def test_changing_a_positions_superior_records_it_and_a_loop_in_the_line_is_refused(org):
    position = org.employee.position
    position_update(actor=org.hr, position=position, superior=org.kepala.position, title="Analis")
    event = the_event(position)
    assert event.data["changes"] == {"superior": [org.kabid.position.pk, org.kepala.position.pk],
                                     "title": [event.data["changes"]["title"][0], "Analis"]}
    with pytest.raises(ValidationError) as refused:  # kepala above the employee, the employee above kepala
        position_update(actor=org.hr, position=org.kepala.position, superior=position)
    assert "superior" in refused.value.message_dict
    assert len(events_of(org.kepala.position)) == 0


def test_moving_a_position_to_a_unit_outside_ones_scope_is_refused(org):
    with pytest.raises(NotPermitted):
        position_update(actor=org.hr, position=org.employee.position, unit=Unit.objects.get(code="SETDA"))
    assert Position.objects.get(pk=org.employee.position.pk).unit_id == org.division.pk


# Role assignments ------------------------------------------------------------------------------


def test_hr_grants_a_role_in_its_scope_and_the_holder_is_told_then_revokes_it(org, django_capture_on_commit_callbacks):
    newcomer = UserFactory(username="hr_div")
    with django_capture_on_commit_callbacks(execute=True):
        assignment = role_grant(actor=org.hr, user=newcomer, unit=org.division)
    assert is_hr_for(newcomer, [org.division]) and not is_hr_for(newcomer, [org.other_division])
    assert the_event(assignment).data["changes"] == {"user": [None, newcomer.pk], "role": [None, "hr"],
                                                    "unit": [None, org.division.pk]}
    assert Notification.objects.get(recipient=newcomer, event="role.granted").data["unit"] == "Bidang A"

    role_revoke(actor=org.hr, assignment=assignment)
    assert not RoleAssignment.objects.filter(pk=assignment.pk).exists()
    grant, revoke = events_of(assignment)  # the chain stays after the row goes
    assert revoke.action == "revoke" and revoke.data["changes"]["user"] == [newcomer.pk, None]
    assert Notification.objects.filter(recipient=newcomer, event="role.revoked").count() == 1


def test_a_role_is_granted_only_by_hr_of_the_unit_and_only_once(org, setda_hr):
    newcomer = UserFactory(username="hr_div")
    with pytest.raises(NotPermitted):
        role_grant(actor=setda_hr, user=newcomer, unit=org.division)
    with pytest.raises(NotPermitted):
        role_grant(actor=org.kepala.user, user=newcomer, unit=org.division)
    with pytest.raises(ValidationError) as refused:
        role_grant(actor=org.hr, user=org.hr, unit=org.agency)  # already HR there
    assert "user" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        role_grant(actor=org.hr, user=newcomer, unit=org.division, role="minister")
    assert "role" in refused.value.message_dict
    assert not AuditEvent.objects.filter(document_type="role_assignment").exists()


def test_hr_of_another_agency_cannot_revoke_a_role(org, setda_hr):
    assignment = RoleAssignment.objects.get(user=org.hr)
    with pytest.raises(NotPermitted):
        role_revoke(actor=setda_hr, assignment=assignment)
    assert RoleAssignment.objects.filter(pk=assignment.pk).exists()


# Acting officials ------------------------------------------------------------------------------


def test_hr_appoints_a_plh_for_an_absent_holder_who_is_told_and_ends_it_early(org, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        assignment = acting_create(actor=org.hr, employee=org.colleague, position=org.kabid.position, kind="plh",
                                   start=today, end=today + 10 * DAY)
    assert the_event(assignment).data["changes"]["kind"] == [None, "plh"]
    assert Notification.objects.get(recipient=org.colleague.user, event="acting.started").data["end"] == (
        today + 10 * DAY).isoformat()

    acting_end(actor=org.hr, assignment=assignment)
    assert ActingAssignment.objects.get(pk=assignment.pk).end == today
    created, ended = events_of(assignment)
    assert ended.data["changes"] == {"end": [(today + 10 * DAY).isoformat(), today.isoformat()]}
    assert Notification.objects.filter(recipient=org.colleague.user, event="acting.ended").count() == 1


def test_an_acting_assignment_not_yet_begun_is_withdrawn_when_ended(org):
    today = timezone.localdate()
    assignment = acting_create(actor=org.hr, employee=org.colleague, position=org.kabid.position, kind="plh",
                               start=today + 5 * DAY, end=today + 10 * DAY)
    assert acting_end(actor=org.hr, assignment=assignment) is None
    assert not ActingAssignment.objects.filter(pk=assignment.pk).exists()
    assert events_of(assignment)[-1].data["withdrawn"] is True


def test_an_acting_official_is_appointed_only_by_hr_of_the_position_with_a_sound_kind_and_range(org, setda_hr):
    today = timezone.localdate()
    appoint = dict(employee=org.colleague, position=org.kabid.position, start=today, end=today + 5 * DAY)
    with pytest.raises(NotPermitted):
        acting_create(actor=setda_hr, kind="plh", **appoint)
    with pytest.raises(NotPermitted):
        acting_create(actor=org.kepala.user, kind="plh", **appoint)
    with pytest.raises(ValidationError) as refused:  # kabid holds the position: a Plt is for a vacant one
        acting_create(actor=org.hr, kind="plt", **appoint)
    assert "kind" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        acting_create(actor=org.hr, kind="plh", **{**appoint, "end": today - DAY})
    assert "end" in refused.value.message_dict
    acting_create(actor=org.hr, kind="plh", **appoint)
    with pytest.raises(ValidationError) as refused:  # one acting official at a time
        acting_create(actor=org.hr, kind="plh", **{**appoint, "employee": org.employee})
    assert "start" in refused.value.message_dict


# Delegations -----------------------------------------------------------------------------------


def test_a_delegation_and_its_early_end_are_one_event_each_with_their_changes(org):
    today = timezone.localdate()
    delegation = delegation_create(actor=org.hr, delegator=org.kabid, delegate=org.colleague, start=today,
                                   end=today + 3 * DAY, reason="Cuti")
    delegation_end(delegation=delegation, actor=org.kabid.user)
    created, ended = events_of(delegation)
    assert created.data["changes"]["delegate"] == [None, org.colleague.pk]
    assert ended.action == "end" and ended.data["changes"]["ended_at"][0] is None
    assert Delegation.objects.get(pk=delegation.pk).ended_at is not None


def test_hr_of_another_agency_may_not_delegate_someone_elses_tasks(org, setda_hr):
    today = timezone.localdate()
    with pytest.raises(NotPermitted):
        delegation_create(actor=setda_hr, delegator=org.kabid, delegate=org.colleague, start=today, end=today, reason="x")


# The importer ----------------------------------------------------------------------------------


def test_an_import_records_one_event_per_created_unit_and_position_and_none_when_repeated(db):
    import_org(csv_text(GOOD))
    units, positions = Unit.objects.all(), Position.objects.all()
    assert all([e.action for e in events_of(u)] == ["create"] for u in units)
    assert all([e.action for e in events_of(p)] == ["create"] for p in positions)
    assert events_of(Position.objects.get(code="STAF-1"))[0].data["changes"]["superior"] == [
        None, Position.objects.get(code="KABID-1").pk]
    total = AuditEvent.objects.count()
    import_org(csv_text(GOOD))
    assert AuditEvent.objects.count() == total


def test_a_unit_moved_by_an_import_is_one_move_event_and_its_subtree_follows(db):
    import_org(csv_text(GOOD))
    moved = [dict(unit_code="BID-1", unit_name="Bidang Satu", unit_kind="division", parent_unit_code="PEMKOT")]
    import_org(csv_text(moved))
    unit = Unit.objects.get(code="BID-1")
    event = events_of(unit)[-1]
    assert (event.action, event.data["changes"]["path"]) == ("move", ["/PEMKOT/DINAS/BID-1/", "/PEMKOT/BID-1/"])
    assert event.data["descendants_moved"] == 1
    assert Unit.objects.get(code="SUB-1").path == "/PEMKOT/BID-1/SUB-1/"


# The audit trail and the admin -----------------------------------------------------------------


def test_verify_audit_passes_after_the_organisation_writes(org, subtree, capsys):
    today = timezone.localdate()
    unit = unit_create(actor=org.hr, code="DIV-C", name="Bidang C", parent=org.agency)
    unit_update(actor=org.hr, unit=unit, name="Bidang Cemerlang")
    unit_move(actor=org.hr, unit=org.division, parent=unit)
    position = position_create(actor=org.hr, code="C-1", title="Staf", unit=unit)
    position_update(actor=org.hr, position=position, title="Analis")
    role_revoke(actor=org.hr, assignment=role_grant(actor=org.hr, user=UserFactory(), unit=unit))
    acting_end(actor=org.hr, assignment=acting_create(actor=org.hr, employee=org.colleague, position=org.kabid.position,
                                                      kind="plh", start=today, end=today + DAY))
    call_command("verify_audit")
    assert "All 9 audit events verified." in capsys.readouterr().out


ORG_MODELS = ["unit", "position", "roleassignment", "actingassignment", "delegation"]
ENGINE_MODELS = [("processes", "cycle"), ("processes", "plan"), ("processes", "cyclemember"),
                 ("notifications", "notification"), ("workflow", "auditevent"), ("workflow", "opentask")]


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="superuser", is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("app, model", [("org", m) for m in ORG_MODELS] + ENGINE_MODELS)
def test_the_admin_refuses_to_add_records_that_only_the_services_write(admin_client, app, model):
    assert admin_client.post(reverse(f"admin:{app}_{model}_add"), {}).status_code == 403


def test_the_admin_shows_but_does_not_change_or_delete_org_records(admin_client, org):
    today = timezone.localdate()
    records = {
        "unit": org.division, "position": org.kabid.position, "roleassignment": RoleAssignment.objects.get(user=org.hr),
        "actingassignment": ActingAssignment.objects.create(employee=org.colleague, position=org.kabid.position,
                                                            kind="plh", start=today, end=today),
        "delegation": Delegation.objects.create(delegator=org.kabid, delegate=org.colleague, start=today, end=today,
                                                reason="Cuti"),
    }
    for model, instance in records.items():
        change = reverse(f"admin:org_{model}_change", args=[instance.pk])
        page = admin_client.get(change)
        assert page.status_code == 200 and b'name="_save"' not in page.content
        assert admin_client.post(change, {"name": "Diubah", "code": "X"}).status_code == 403
        assert admin_client.post(reverse(f"admin:org_{model}_delete", args=[instance.pk]), {"post": "yes"}).status_code == 403
    assert Unit.objects.get(pk=org.division.pk).name == "Bidang A"
    assert Unit.objects.filter(pk=org.division.pk).exists()
