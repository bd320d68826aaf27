"""The official who decides objections where the rater has no superior in scope (PP 30/2019
art. 59: the Pejabat Pembina Kepegawaian or the official they designate): named by the cycle, or
else its ratifying official when that official is not the rater. The agency head's rater (the
regional secretary) has no superior in the organisation of these tests."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from processes.models import Assessment, CycleMember, CycleRole, Objection
from processes.services.cycles import cycle_create, cycle_open, member_correct_reporting_line
from processes.services.objections import objection_decide, objection_explain, objection_file
from workflow.engine import available_actions
from workflow.models import AuditEvent, OpenTask

from ..api.helpers import issued_evaluation
from ..conftest import client_for
from ..factories import EmployeeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


@pytest.fixture
def mayor(org):
    """The mayor (Wali Kota) of the government, on no reporting line of the organisation."""
    return EmployeeFactory(name="Wali Kota", user__username="walikota", position__unit=org.government,
                           position__is_unit_leader=True)


@pytest.fixture
def deciding(mayor):
    """The official the cycle names (a test may name nobody)."""
    return mayor


@pytest.fixture
def cycle(org, deciding, django_capture_on_commit_callbacks):
    """The agency's cycle naming ``deciding``, with the regional secretary as ratifying official."""
    created = cycle_create(actor=org.hr, name="Kinerja 2026", year=2026, units=[org.agency],
                           plan_deadline=datetime.date(2026, 1, 31), deciding_official=deciding)
    CycleRole.objects.create(cycle=created, user=org.sekda.user, role=CycleRole.Role.RATIFYING_OFFICIAL)
    with django_capture_on_commit_callbacks(execute=True):
        cycle_open(cycle=created, actor=org.hr)
    created.refresh_from_db()
    return created


def member(cycle, employee) -> CycleMember:
    return CycleMember.objects.get(cycle=cycle, employee=employee)


def head_result(org, cycle) -> Assessment:
    """Every result issued; the agency head's."""
    evaluation = issued_evaluation(org, cycle)
    return Assessment.objects.get(evaluation=evaluation, employee=org.kepala)


def test_the_agency_head_gets_the_named_official_as_his_raters_superior_when_the_cycle_opens(org, cycle, mayor):
    head = member(cycle, org.kepala)
    assert (head.rater, head.raters_superior, head.raters_superior_position) == (org.sekda, mayor, mayor.position)
    # Everyone else keeps the superior of the organisation.
    assert member(cycle, org.kabid).raters_superior == org.sekda
    assert member(cycle, org.employee).raters_superior == org.kepala


def test_the_agency_heads_objection_is_decided_by_the_deciding_official(org, cycle, mayor):
    result = head_result(org, cycle)
    objection = objection_file(assessment=result, actor=org.kepala.user, reasons="Capaian saya melebihi target")

    assert objection.decider == mayor
    decide = OpenTask.objects.get(document_type="objection", document_id=objection.pk, role="raters_superior")
    assert decide.assignee_id == mayor.user_id and decide.actions == ["decide"]
    objection_explain(objection=objection, actor=org.sekda.user, explanation="Target tercapai sebagian")
    objection_explain(objection=Objection.objects.get(pk=objection.pk), actor=org.kepala.user, explanation="Bukti terlampir")
    objection = Objection.objects.get(pk=objection.pk)
    assert available_actions(objection, mayor.user) == ["decide"]
    assert available_actions(objection, org.sekda.user) == []  # the rater does not decide his own rating's objection

    decided = objection_decide(objection=objection, actor=mayor.user, outcome="upheld", reasons="Penilaian sudah tepat")
    assert decided.status == Objection.Status.DECIDED
    assert Assessment.objects.get(pk=result.pk).status == Assessment.Status.FINAL


def test_the_mayor_sees_the_objection_he_decides_in_the_list(org, cycle, mayor):
    objection = objection_file(assessment=head_result(org, cycle), actor=org.kepala.user, reasons="Capaian saya melebihi target")
    listed = client_for(mayor.user).get("/api/v1/objections/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [row["id"] for row in rows] == [objection.pk]


@pytest.mark.parametrize("deciding", [None])
def test_with_the_ratifying_official_as_rater_and_nobody_named_the_objection_is_refused_with_a_400(org, cycle):
    result = head_result(org, cycle)
    assert member(cycle, org.kepala).raters_superior is None  # sekda ratifies but rates the head: not a decider

    response = client_for(org.kepala.user).post(
        "/api/v1/objections/", {"assessment": result.pk, "reasons": "Capaian saya melebihi target"}, format="json"
    )

    assert response.status_code == 400
    # In the employee's language (Indonesian), saying why.
    assert "tidak menetapkan pejabat yang memutus keberatan" in response.json()["errors"]["non_field_errors"][0]
    assert not Objection.objects.exists()
    assert Assessment.objects.get(pk=result.pk).status == Assessment.Status.ISSUED  # nothing moved
    with pytest.raises(ValidationError):
        objection_file(assessment=result, actor=org.kepala.user, reasons="Capaian saya melebihi target")


@pytest.mark.parametrize("deciding", [None])
def test_named_nobody_the_ratifying_official_decides_where_he_is_not_the_rater(org, cycle, mayor):
    CycleRole.objects.filter(cycle=cycle, role=CycleRole.Role.RATIFYING_OFFICIAL).update(user=mayor.user)
    result = head_result(org, cycle)

    objection = objection_file(assessment=result, actor=org.kepala.user, reasons="Capaian saya melebihi target")

    head = member(cycle, org.kepala)
    assert (objection.decider, head.raters_superior, head.raters_superior_position) == (mayor, mayor, mayor.position)
    assert AuditEvent.objects.filter(document_type="cycle_member", document_id=head.pk, action="assign_deciding_official").exists()
    assert OpenTask.objects.get(document_type="objection", document_id=objection.pk, role="raters_superior").assignee_id == mayor.user_id


def test_hr_naming_no_superior_in_a_correction_leaves_the_deciding_official(org, cycle, mayor):
    corrected = member_correct_reporting_line(member=member(cycle, org.kepala), actor=org.hr, rater=org.sekda,
                                              raters_superior=None, reason="Koreksi atasan")
    assert corrected.raters_superior == mayor


def test_a_deciding_official_without_a_user_account_is_refused(org, mayor):
    mayor.user = None
    with pytest.raises(ValidationError) as refused:
        cycle_create(actor=org.hr, name="Kinerja 2027", year=2027, units=[org.agency],
                     plan_deadline=datetime.date(2027, 1, 31), deciding_official=mayor)
    assert "deciding_official" in refused.value.message_dict


def test_hr_names_the_deciding_official_when_creating_a_cycle_through_the_api(org, mayor):
    body = {"name": "Kinerja 2027", "year": 2027, "units": [org.agency.pk], "plan_deadline": "2027-01-31"}
    response = client_for(org.hr).post("/api/v1/cycles/", {**body, "deciding_official": mayor.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["deciding_official"] == mayor.pk

    unknown = client_for(org.hr).post("/api/v1/cycles/", {**body, "name": "Kinerja 2027 B", "deciding_official": 999999},
                                      format="json")
    assert unknown.status_code == 400 and "deciding_official" in unknown.json()["errors"]
